"""The use cases behind the commands: each takes parsed options and a store, does the work, and returns data.

Commands in ``npscli.cli`` parse options, call one service, and emit its result; ``npscli.reports`` builds and
renders reports from what the services return. See docs/architecture.md.
"""
