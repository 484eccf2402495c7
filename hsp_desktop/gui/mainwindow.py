"""The main window: navigation on the left, one screen at a time on the right, idle lock, layout memory."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.messages import describe
from hsp_desktop.gui.workers import active_workers

IDLE_LOCK_MINUTES = 15


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """Show an error the way every screen does: title, actionable text, details for unexpected faults."""
    title, text, details = describe(exc)
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.setObjectName("errorBox")
    box.open()


class _ActivityFilter(QObject):
    def __init__(self, on_activity: Callable[[], None]) -> None:
        super().__init__()
        self._on_activity = on_activity

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel):
            self._on_activity()
        return False


class MainWindow(QMainWindow):
    """Navigation list + stacked screens.  Screens are built by ``hsp_desktop.gui.pages``."""

    def __init__(self, ctx: AppContext, *, idle_minutes: float = IDLE_LOCK_MINUTES) -> None:
        super().__init__()
        from hsp_desktop import __version__
        from hsp_desktop.gui.pages import build_pages

        self.ctx = ctx
        self.setWindowTitle(
            self.tr("HSP Desktop {0} - refractory hypersplenism after liver transplantation").format(
                __version__
            )
        )
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setMaximumWidth(220)
        self.nav.setAccessibleName(self.tr("Screens"))
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        for key, title, page in build_pages(ctx, self):
            self.pages[key] = page
            self.nav.addItem(title)
            self.stack.addWidget(page)
        self.nav.currentRowChanged.connect(self._on_nav)
        self._link_calipers()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.nav)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)
        self._central = splitter
        self._user_label = QLabel()
        self.statusBar().addPermanentWidget(self._user_label)
        self._update_status()
        self._build_menu()
        ctx.events.recipient_selected.connect(lambda _sid: self._update_status())

        self._idle = QTimer(self)
        self._idle.setInterval(int(idle_minutes * 60_000))
        self._idle.timeout.connect(self.lock)
        self._idle.start()
        self._activity = _ActivityFilter(self._idle.start)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self._activity)

        settings = QSettings("HSP", "HSP Desktop")
        geometry = settings.value("main/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        self.nav.setCurrentRow(0)

    def _link_calipers(self) -> None:
        """Ruler measurements on the Imaging screen's viewer go into the Recipient screen's pre-operative form."""
        viewer = getattr(self.pages.get("imaging"), "viewer", None)
        apply = getattr(self.pages.get("recipient"), "apply_measurement", None)
        if viewer is None or apply is None:
            return
        viewer.user = str(getattr(self.ctx.user, "username", ""))
        viewer.measurement_recorded.connect(apply)
        viewer.measurement_recorded.connect(
            lambda field, value, _p: self.statusBar().showMessage(
                self.tr(
                    "{0} = {1:g} put into the pre-operative form (save it on the Recipient screen)"
                ).format(field, value),
                8000,
            )
        )

    def show_error(self, exc: BaseException) -> None:
        """Show an error the way every screen does."""
        show_error(self, exc)

    # -- navigation -------------------------------------------------------------------------------------------
    def show_page(self, key: str) -> QWidget:
        """Switch to a screen by key (``worklist``, ``recipient``, ``imaging``, ``score``, ...)."""
        page = self.pages[key]
        self.nav.setCurrentRow(self.stack.indexOf(page))
        return page

    def _on_nav(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        page = self.stack.currentWidget()
        refresh = getattr(page, "refresh", None)
        if callable(refresh):
            try:
                refresh()
            except Exception as exc:  # noqa: BLE001 - shown by show_error (an unexpected fault with its traceback)
                show_error(self, exc)

    def _update_status(self) -> None:
        user = getattr(self.ctx.user, "username", "?")
        current = self.ctx.current_study_id or self.tr("none")
        self._user_label.setText(
            self.tr("Signed in: {0} ({1})  |  Recipient: {2}").format(user, self.ctx.role, current)
        )

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        lock = QAction(self.tr("&Lock screen"), self)
        lock.setShortcut(QKeySequence("Ctrl+L"))
        lock.triggered.connect(self.lock)
        file_menu.addAction(lock)
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        go_menu = self.menuBar().addMenu(self.tr("&Go"))
        for row in range(self.nav.count()):
            action = QAction(self.nav.item(row).text(), self)
            action.setShortcut(QKeySequence(f"Ctrl+{row + 1}") if row < 9 else QKeySequence())
            action.triggered.connect(lambda _checked=False, r=row: self.nav.setCurrentRow(r))
            go_menu.addAction(action)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        selftest = QAction(self.tr("&Self-test"), self)
        selftest.triggered.connect(lambda: self._show_about(run_selftest=True))
        help_menu.addAction(selftest)
        about = QAction(self.tr("&About"), self)
        about.triggered.connect(lambda: self._show_about(run_selftest=False))
        help_menu.addAction(about)

    def _show_about(self, *, run_selftest: bool) -> None:
        page = self.show_page("about")
        if run_selftest:
            page.run_selftest()  # type: ignore[attr-defined]

    # -- idle lock ----------------------------------------------------------------------------------------------
    def lock(self) -> None:
        """Hide the data and ask the signed-in user's password again."""
        from hsp_desktop.gui.signin import SignInDialog

        self._idle.stop()
        self._central.setVisible(False)
        dialog = SignInDialog(
            self.ctx.registry, locked_user=getattr(self.ctx.user, "username", ""), parent=self
        )
        dialog.setObjectName("lockDialog")

        def unlocked(result: int) -> None:
            if result:
                self._central.setVisible(True)
                self._idle.start()
            else:
                self.close()

        dialog.finished.connect(unlocked)
        dialog.open()

    # -- shutdown -----------------------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        running = active_workers()
        if running:
            answer = QMessageBox.question(
                self,
                self.tr("Work in progress"),
                self.tr("A job is still running. Cancel it and quit? Nothing half-done is saved."),
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            for worker in running:
                worker.cancel()
                worker.wait()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self._activity)
        QSettings("HSP", "HSP Desktop").setValue("main/geometry", self.saveGeometry())
        event.accept()
