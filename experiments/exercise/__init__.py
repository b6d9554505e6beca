"""Tabletop exercises: roles and their levers on the running model, exercise plans, the class's
session, the debrief with each decision's counterfactual, and the pages and server."""
