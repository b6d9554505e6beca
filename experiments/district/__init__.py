"""Your own district: the planner's maps and road network made into a district file that
the model reads (``space.layout = "district"``, ``sim/district.py``), and the synthetic
township written the same way.

- :mod:`.layers`: grid polygons, site points and a flood extent (GeoJSON or GeoPackage,
  through geopandas), checked feature by feature, in one projected CRS;
- :mod:`.roads`: the road network (OpenStreetMap ``.osm.pbf`` through pyrosm, ``.osm``
  and GraphML through osmnx);
- :mod:`.build`: grid entrances, neighbours, travel minutes, communities and sites;
- :mod:`.export`: a scenario's synthetic township as the same data;
- :mod:`.folder`: ``district.json`` and the scenario file beside it.

geopandas, shapely, pyrosm and osmnx are the optional extra ``district``
(``pip install 'grassroots-sim[district]'``); ``sim/`` never imports them, and running an
imported district needs none of them.
"""
