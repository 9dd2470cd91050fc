"""Pure renderers of the monitoring stack: scrape configs, rules, SLO alerts, routing, dashboards, probes, logs.

Every function here is a function of the catalog (ServiceSpecs) and a few settings, shared by the Docker and
Kubernetes targets; only `sources` knows which metric names each target's exporters use.
"""
