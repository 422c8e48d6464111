"""The Qt desktop app: tray, chat, memory browser, screenshot search, settings and
first run. Widgets call the Assistant facade through :class:`worker.Jobs` and
render what comes back; nothing here touches the database or a model directly.

Import :func:`mirix_app.gui.app.run` to start it; importing this package pulls
in no Qt, so ``mirix-app --help`` stays fast.
"""
