from llaqo.app import main

main()
