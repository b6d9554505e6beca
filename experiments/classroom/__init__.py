"""The classroom app: the app model, the SVG map and charts, and the Solara page."""
