from llaqo_cli.app import main

main()
