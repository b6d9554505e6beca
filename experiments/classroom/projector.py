"""Projector mode for the classroom app: every text on the page at least PROJECTOR_PX pixels
on the screen, also at 1280x720 (the room's last row reads the chart ticks, the map's labels,
the feed and the legend).

Switched in the browser, without a round trip: the toolbar's *Projector* button, or
``?projector=1`` in the address. It puts ``grassroots-projector`` on the page's body: the
stylesheet (``PROJECTOR_CSS``) then sets every HTML text to at least PROJECTOR_PX and lets
the charts take the side column's full width (the page scrolls instead of squeezing them).
The maps and charts are SVGs scaled to their boxes, so a text's size there is in the SVG's
own units: the button's script measures each SVG's scale on the screen and enlarges every
text that would be drawn smaller, again whenever the page redraws them (a
``MutationObserver``) or the window is resized.
"""

from __future__ import annotations

import ipyvue
import traitlets

PROJECTOR_PX = 18
PROJECTOR_CSS = f"""
body.grassroots-projector .grassroots-page *:not(svg):not(svg *),
body.grassroots-projector .v-app-bar *:not(svg):not(svg *),
body.grassroots-projector .v-navigation-drawer *:not(svg):not(svg *),
body.grassroots-projector .v-menu__content *:not(svg):not(svg *) {{
    font-size: max({PROJECTOR_PX}px, 1em) !important; }}
body.grassroots-projector .grassroots-page {{ font-size: {PROJECTOR_PX}px !important; }}
body.grassroots-projector .grassroots-sidecol {{ max-height: none; overflow: visible; }}
body.grassroots-projector .grassroots-sidecol svg.chart {{ max-height: none; }}
.grassroots-projector-button.on {{ outline: 3px solid #ff8f00; }}
"""


class ProjectorToggle(ipyvue.VueTemplate):
    """The toolbar's *Projector* button (on: outlined); ``?projector=1`` starts it on."""

    label = traitlets.Unicode("Projector").tag(sync=True)
    template = traitlets.Unicode(
        """
<template>
  <button :class="'grassroots-projector-button v-btn v-btn--outlined theme--light '
                  + 'v-size--default' + (on ? ' on' : '')"
          :aria-pressed="on ? 'true' : 'false'" @click="set(!on)">
    <span class="v-btn__content">{{ label }}</span></button>
</template>
<script>
module.exports = {
  data() { return { on: false, observer: null }; },
  mounted() {
    if (new URLSearchParams(window.location.search).get('projector') === '1') this.set(true);
  },
  beforeDestroy() { this.set(false); },
  methods: {
    set(on) {
      this.on = on;
      document.body.classList.toggle('grassroots-projector', on);
      if (this.observer) {
        this.observer.disconnect();
        window.removeEventListener('resize', this.fit);
        this.observer = null;
      }
      if (on) {
        this.observer = new MutationObserver(() => this.fit());
        this.observer.observe(document.body, { childList: true, subtree: true });
        window.addEventListener('resize', this.fit);
      }
      this.$nextTick(() => this.fit());
    },
    fit() {
      const svgs = document.querySelectorAll('svg.grassroots-map-svg, svg.chart');
      for (const svg of svgs) {
        const ctm = svg.getScreenCTM();
        const scale = ctm ? Math.hypot(ctm.a, ctm.b) : 0;
        for (const t of svg.querySelectorAll('text')) {
          if (!t.dataset.size) t.dataset.size = parseFloat(getComputedStyle(t).fontSize);
          const own = parseFloat(t.dataset.size);
          const need = scale > 0 ? MIN_PX / scale : own;
          if (this.on && own < need) t.style.fontSize = need.toFixed(2) + 'px';
          else t.style.removeProperty('font-size');
        }
      }
    },
  },
};
</script>
""".replace("MIN_PX", str(PROJECTOR_PX))
    ).tag(sync=True)


__all__ = ["PROJECTOR_CSS", "PROJECTOR_PX", "ProjectorToggle"]
