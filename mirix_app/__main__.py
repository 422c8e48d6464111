from mirix_app.cli import main

main()
