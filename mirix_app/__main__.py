from mirix_app.entry import main

main()
