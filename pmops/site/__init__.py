"""`pmops site OUT/`: a static HTML site of the published postmortems, for readers outside
engineering. `build` plans and writes it incrementally; `markdown` turns untrusted markdown
into safe HTML; `entries` holds what a page and the index know of one postmortem; `charts`
draws the inline SVG charts; `pages` renders the HTML templates (templates/site/)."""

DEFAULT_TITLE = "Postmortems"
"""The site's title when none is given (here, so the CLI can show it without the builder)."""
