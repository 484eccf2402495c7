"""The main window: navigation on the left, one screen at a time on the right, idle lock, layout memory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.messages import describe
from hsp_desktop.gui.workers import active_workers

IDLE_LOCK_MINUTES = 15
#: Screens each role sees (others are hidden from navigation and the Go menu).
ALL_ROLES = frozenset({"admin", "clinician", "coordinator", "readonly"})
ROLE_SCREENS: dict[str, frozenset[str]] = {
    "start": frozenset({"admin"}),
    "score": frozenset({"admin", "clinician", "coordinator"}),
    "segment": frozenset({"admin", "clinician", "coordinator"}),
    "models": frozenset({"admin", "clinician"}),
    "research": frozenset({"admin", "clinician"}),
    "federation": frozenset({"admin"}),
    "outcome": frozenset({"admin", "clinician", "coordinator"}),
    "admin": frozenset({"admin"}),
    "audit": frozenset({"admin"}),
}


def screen_visible(key: str, role: str) -> bool:
    """Whether a role sees a screen."""
    return role in ROLE_SCREENS.get(key, ALL_ROLES)


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """Show an error the way every screen does: title, actionable text, details for unexpected faults."""
    title, text, details = describe(exc)
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.setObjectName("errorBox")
    box.open()


def _version() -> str:
    from hsp_desktop import __version__

    return str(__version__)


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
        self._build_screens()
        self.nav.currentRowChanged.connect(self._on_nav)
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
        self.setAcceptDrops(True)

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
        self.fit_to_screen()
        complete = getattr(self.pages.get("start"), "complete", None)
        first_run = callable(complete) and screen_visible("start", ctx.role) and not complete()
        self.show_page("start" if first_run else "worklist")

    def _build_screens(self) -> None:
        """Create the screens (each in a scroll area, so a small or scaled screen never cuts off its buttons)."""
        from hsp_desktop.gui.pages import build_pages

        self._containers: dict[str, QScrollArea] = {}
        for key, title, page in build_pages(self.ctx, self):
            self.pages[key] = page
            container = QScrollArea()
            container.setWidgetResizable(True)
            container.setFrameShape(QFrame.Shape.NoFrame)
            page.setParent(
                container
            )  # put into the scroll area when first shown (polishing 20 screens costs)
            page.hide()
            self._containers[key] = container
            self.nav.addItem(title)
            self.stack.addWidget(container)
            self.nav.item(self.nav.count() - 1).setHidden(not screen_visible(key, self.ctx.role))
        self._link_calipers()

    def fit_to_screen(self) -> None:
        """Keep the whole window on the screen's available area (e.g. 1280x720 logical at 150% on 1920x1080)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        area = screen.availableGeometry()
        frame = self.frameGeometry().size() - self.geometry().size()
        width = min(self.width(), area.width() - frame.width())
        height = min(self.height(), area.height() - frame.height())
        self.resize(max(width, 640), max(height, 480))
        x = min(max(self.x(), area.left()), area.right() - self.frameGeometry().width() + 1)
        y = min(max(self.y(), area.top()), area.bottom() - self.frameGeometry().height() + 1)
        self.move(max(x, area.left()), max(y, area.top()))

    def _link_calipers(self) -> None:
        """Ruler measurements on the Imaging screen's viewer go into the Recipient screen's pre-operative form."""
        viewer = getattr(self.pages.get("imaging"), "viewer", None)
        apply = getattr(self.pages.get("recipient"), "apply_measurement", None)
        if viewer is None or apply is None:
            return
        viewer.user = str(getattr(self.ctx.user, "username", ""))
        viewer.measurement_recorded.connect(apply)
        viewer.measurement_recorded.connect(
            lambda _field, value, _p: self.statusBar().showMessage(
                self.tr(
                    "{0} = {1:g} put into the pre-operative form (save it on the Recipient screen)"
                ).format(viewer.measure_field.currentText(), value),
                8000,
            )
        )

    def show_error(self, exc: BaseException) -> None:
        """Show an error the way every screen does (a cancellation the user asked for is no error: status bar)."""
        from hsp_desktop.errors import CancelledError

        if isinstance(exc, CancelledError):
            self.statusBar().showMessage(describe(exc)[0] + ": " + str(exc), 8000)
            return
        show_error(self, exc)

    # -- navigation -------------------------------------------------------------------------------------------
    def show_page(self, key: str) -> QWidget:
        """Switch to a screen by key (``worklist``, ``recipient``, ``imaging``, ``score``, ...)."""
        page = self.pages[key]
        self.nav.setCurrentRow(self.stack.indexOf(self._containers[key]))
        return page

    def current_key(self) -> str:
        """Key of the screen on show."""
        current = self.stack.currentWidget()
        return next((k for k, c in self._containers.items() if c is current), "worklist")

    def _on_nav(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        key = self.current_key()
        container, page = self._containers[key], self.pages[key]
        if container.widget() is not page:
            container.setWidget(page)
            page.show()
        refresh = getattr(page, "refresh", None)
        if callable(refresh):
            try:
                refresh()
            except Exception as exc:  # noqa: BLE001 - shown by show_error (an unexpected fault with its traceback)
                show_error(self, exc)

    def _update_status(self) -> None:
        user = getattr(self.ctx.user, "username", "?")
        current = self.ctx.current_study_id or self.tr("none")
        from hsp_desktop.gui.pages.admin import ROLES

        role = QCoreApplication.translate("AdminPage", dict(ROLES).get(self.ctx.role, self.ctx.role))
        self._user_label.setText(
            self.tr("Signed in: {0} ({1})  |  Recipient: {2}").format(user, role, current)
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
        visible = [row for row in range(self.nav.count()) if not self.nav.item(row).isHidden()]
        for n, row in enumerate(visible):
            action = QAction(self.nav.item(row).text(), self)
            action.setShortcut(QKeySequence(f"Ctrl+{n + 1}") if n < 9 else QKeySequence())
            action.triggered.connect(lambda _checked=False, r=row: self.nav.setCurrentRow(r))
            go_menu.addAction(action)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        guide = QAction(self.tr("&Help"), self)
        guide.setShortcut(QKeySequence.StandardKey.HelpContents)
        guide.triggered.connect(lambda: self.show_page("help"))
        help_menu.addAction(guide)
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
    def dirty_screens(self) -> list[str]:
        """Titles of the screens holding unsaved edits."""
        out = []
        for row, (_key, page) in enumerate(self.pages.items()):
            is_dirty = getattr(page, "is_dirty", None)
            if callable(is_dirty) and is_dirty():
                out.append(self.nav.item(row).text())
        return out

    def confirm_discard(self) -> bool:
        """Ask before unsaved edits are lost (another recipient, quitting, switching language); True to go on."""
        dirty = self.dirty_screens()
        if not dirty:
            return True
        answer = QMessageBox.question(
            self,
            self.tr("Unsaved changes"),
            self.tr("There are unsaved changes on: {0}. Discard them?").format(", ".join(dirty)),
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    # -- language ---------------------------------------------------------------------------------------------
    def set_language(self, language: str) -> bool:
        """Switch the interface language now: the screens are rebuilt in it (asks first if edits are unsaved)."""
        from hsp_desktop.gui.app import install_language, save_language
        from hsp_desktop.gui.context import Events

        if active_workers():
            QMessageBox.information(
                self,
                self.tr("Language"),
                self.tr("Wait for the running job to finish, then switch the language."),
            )
            return False
        if not self.confirm_discard():
            return False
        app = QApplication.instance()
        if not isinstance(app, QApplication) or not install_language(app, language):
            return False
        save_language(language)
        key = self.current_key()
        self.nav.blockSignals(True)
        self.nav.clear()
        for old in list(self._containers.values()):
            self.stack.removeWidget(old)
            old.deleteLater()
        self.pages.clear()
        self.ctx.events = Events()  # the old screens' connections go with the old notifier
        self.ctx.events.recipient_selected.connect(lambda _sid: self._update_status())
        self._build_screens()
        self.nav.blockSignals(False)
        self.menuBar().clear()
        self._build_menu()
        self.setWindowTitle(
            self.tr("HSP Desktop {0} - refractory hypersplenism after liver transplantation").format(
                _version()
            )
        )
        self.nav.setAccessibleName(self.tr("Screens"))
        self._update_status()
        if self.ctx.current_study_id:
            self.ctx.events.recipient_selected.emit(self.ctx.current_study_id)
        self.show_page(key)
        self._on_nav(self.nav.currentRow())
        return True

    # -- drag and drop ----------------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and all(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls()]
        if paths:
            self.open_dropped(paths)
            event.acceptProposedAction()

    def open_dropped(self, paths: list[Path]) -> None:
        """CSV files go to the import (administrators); a DICOM folder, CT or mask goes to Imaging."""
        admin = self.pages.get("admin")
        for path in paths:
            if path.suffix.lower() == ".csv":
                if admin is None or not screen_visible("admin", self.ctx.role):
                    continue
                self.show_page("admin")
                admin.import_csv(path, followup="follow" in path.name.lower())  # type: ignore[attr-defined]
                continue
            if self.ctx.current_study_id is None:
                QMessageBox.information(
                    self,
                    self.tr("Images"),
                    self.tr("Select a recipient on the Worklist first, then drop the images."),
                )
                return
            imaging = self.show_page("imaging")
            name = path.name.lower()
            if path.is_dir():
                imaging.open_dicom_folder(path)  # type: ignore[attr-defined]
            elif any(word in name for word in ("mask", "seg", "label", "rtstruct")):
                imaging.open_mask(path)  # type: ignore[attr-defined]
            else:
                imaging.open_ct_file(path)  # type: ignore[attr-defined]

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.confirm_discard():
            event.ignore()
            return
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
