from npscli.cli.main import main

main()
