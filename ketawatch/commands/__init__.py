"""One module per ``ketawatch`` subcommand: ``add_parser(subparsers)`` and ``run(args, config)``."""
