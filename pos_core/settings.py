"""The till's settings: one typed object from a TOML file, then the environment, then the CLI.

Unknown keys are refused with the file and key named, so a typo never silently does nothing.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from pos_core.listen_address import DisplayAddressError, parse_listen
from pos_core.deadlines import Deadlines
from pos_core.printer_connection import PrinterConnectionError, parse_connection
from pos_core.serial_url import SerialUrlError, parse_serial_url

APP_NAME = "loyalty-checkout"


class SettingsError(ValueError):
    """A settings file or value that cannot be used; the message says where and why."""


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "cashier.toml"


def default_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME)


@dataclass(frozen=True)
class KioskSettings:
    """The self-checkout kiosk's own settings (the ``[kiosk]`` table)."""

    # Seconds without a touch before "Still there?", then seconds before the kiosk resets.
    idle_seconds: float = 60.0
    still_there_seconds: float = 20.0
    # Seconds the thank-you screen stays before the next shopper's welcome.
    thank_you_seconds: float = 8.0
    # Taking an item off the basket needs a member of staff, as on most kiosks.
    remove_needs_staff: bool = True
    # The staff PIN that unlocks assistance (fix or void a sale).
    staff_pin: str = "2468"


@dataclass(frozen=True)
class RegisterSettings:
    """The ``[register]`` table: the staffed register's own settings."""

    # Cashiers sign on with their staff id and PIN at the start of a shift and after Ctrl+L
    # (lock); every sale, return and enrolment then carries their id (cashier_tui/staff_sign_on.py).
    sign_on: bool = False


@dataclass(frozen=True)
class DeviceSettings:
    """The ``[devices]`` table: the readers this terminal has, and how to tell what they read."""

    # A camera: a device index ("0"), a video file or a stream URL; "" for none.
    camera: str = ""
    # The camera's barcode decoder: "zxing" (QR, EAN-13, Code128, PDF417, Aztec) or "zbar".
    decoder: str = "zxing"
    # An NFC reader as nfcpy names it ("usb", "usb:072f:2200", "tty:ttyUSB0", "udp:host:port"); "" for none.
    nfc: str = ""
    # The NFC card technologies to poll for (nfcpy names: 106A, 106B, 212F, 424F); fewer is faster.
    nfc_targets: tuple[str, ...] = ("106A", "212F")
    # Loyalty card numbers start with one of these (a range is written as its prefixes).
    loyalty_card_prefixes: tuple[str, ...] = ("2991",)
    # Keyboard-wedge scanners and stripe readers, told from typing (devices/keyboard_wedge.py).
    scanner_max_gap_ms: float = 35.0
    scanner_burst_end_ms: float = 60.0
    scanner_min_length: int = 4


@dataclass(frozen=True)
class CustomerDisplaySettings:
    """The ``[customer_display]`` table: what faces the customer at the register."""

    # HOST:PORT the display page is served on ("127.0.0.1:8765", or the LAN address for a tablet); "" for none.
    listen: str = ""
    # A pole display's serial port ("serial:///dev/ttyUSB1?baudrate=9600"); "" for none.
    pole: str = ""
    # The pole display's command set: "epson" (ESC/POS displays) or "cd5220".
    pole_protocol: str = "epson"


@dataclass(frozen=True)
class PrinterSettings:
    """The ``[printer]`` table: the receipt printer (ESC/POS, driven by python-escpos)."""

    # tcp://HOST:PORT, usb://VID:PID, serial:///dev/X?baudrate=N, file:///dev/usb/lp0 or cups://QUEUE; "" for none.
    connection: str = ""
    # python-escpos's capability profile: its code pages, cutter, QR support and paper width.
    profile: str = "TM-T88V"
    # Characters on a line of paper (Font A: 42 on 80 mm, 32 on 58 mm); 0: the till's receipt_width.
    # The screen shows the receipt at the same width, so the two never differ.
    width: int = 0
    # The code page chosen first (CP858 has £ and €); others are switched to only for a character it lacks.
    codepage: str = "CP858"
    # The receipt number's QR code: "native" (the printer draws it), "image" (sent as a picture,
    # for printers without QR), or "auto" (native when the profile says the printer can).
    qr: str = "auto"
    # Seconds to wait for the printer to connect, take a receipt or answer a status query.
    timeout: float = 5.0


@dataclass(frozen=True)
class Settings:
    # Where the loyalty platform is. None: start the reference service with the demo store.
    api_url: str | None = None
    api_key: str | None = None
    store_id: str = "demo-store"
    store_name: str = "Demo Store"
    terminal_id: str = "till-1"
    # Default country for phone numbers typed without a country code (the program's wins).
    region: str = "GB"
    # A local product file (sku,ean,name,category,unit_price); None: ask the service.
    catalog_file: Path | None = None
    data_dir: Path = field(default_factory=default_data_dir)
    theme: str = "store"
    deadlines: Deadlines = Deadlines()
    # Seconds between reachability checks of the loyalty service.
    health_interval: float = 10.0
    receipt_width: int = 40
    # Offline, rewards cannot be checked against the balance other tills are spending.
    offline_rewards: bool = False
    # Days a cached customer may be shown while the service is away.
    cache_max_age_days: float = 30.0
    # Binding id -> keys, e.g. {"register.pay": "f12"}.
    keymap: dict[str, str] = field(default_factory=dict)
    kiosk: KioskSettings = KioskSettings()
    register: RegisterSettings = RegisterSettings()
    devices: DeviceSettings = DeviceSettings()
    customer_display: CustomerDisplaySettings = CustomerDisplaySettings()
    printer: PrinterSettings = PrinterSettings()
    # The PIN a store trainer types to switch a running register into training mode (Ctrl+T).
    trainer_pin: str = "8642"

    @property
    def paper_width(self) -> int:
        """The receipt's width in characters, on the screen and on paper alike."""
        return self.printer.width or self.receipt_width

    @property
    def embedded(self) -> bool:
        """True when the till runs the reference service itself (no URL configured)."""
        return not self.api_url


_ENVIRONMENT = {
    "CASHIER_API_URL": "api_url",
    "CASHIER_API_KEY": "api_key",
    "CASHIER_STORE_ID": "store_id",
    "CASHIER_TERMINAL_ID": "terminal_id",
    "CASHIER_DATA_DIR": "data_dir",
}
_PLAIN = {"api_url", "api_key", "store_id", "store_name", "terminal_id", "region", "theme"}


def load_settings(
    config_path: Path | None = None,
    *,
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
    defaults: dict[str, Any] | None = None,
) -> Settings:
    """``defaults``, then ``config_path`` (or the default file if it exists), env, then ``overrides``."""
    environ = dict(os.environ if environ is None else environ)
    explicit = config_path is not None or "CASHIER_CONFIG" in environ
    path = config_path or Path(environ.get("CASHIER_CONFIG", default_config_path()))
    values: dict[str, Any] = dict(defaults or {})
    if path.exists():
        values.update(_read_file(path))
    elif explicit:
        raise SettingsError(f"the settings file {path} does not exist")
    for variable, name in _ENVIRONMENT.items():
        if environ.get(variable):
            values[name] = environ[variable]
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return _build(values, source=str(path))


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML ({error})") from None
    except OSError as error:
        raise SettingsError(f"cannot read {path}: {error.strerror}") from None


def _build(values: dict[str, Any], *, source: str) -> Settings:
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SettingsError(
            f"{source}: unknown setting {', '.join(repr(k) for k in unknown)}"
            f" (known: {', '.join(sorted(known))})"
        )
    settings = Settings()
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if name in _PLAIN:
            changes[name] = None if value is None else _text(name, value, source)
        elif name in ("catalog_file", "data_dir"):
            changes[name] = Path(_text(name, value, source)).expanduser()
        elif name in ("health_interval", "cache_max_age_days"):
            changes[name] = _positive_number(name, value, source)
        elif name == "offline_rewards":
            if not isinstance(value, bool):
                raise SettingsError(f"{source}: offline_rewards must be true or false")
            changes[name] = value
        elif name == "receipt_width":
            width = int(_positive_number(name, value, source))
            if not 32 <= width <= 80:
                raise SettingsError(f"{source}: receipt_width must be between 32 and 80")
            changes[name] = width
        elif name == "deadlines":
            changes[name] = _deadlines(value, source)
        elif name == "kiosk":
            changes[name] = _kiosk(value, source)
        elif name == "register":
            changes[name] = _register(value, source)
        elif name == "devices":
            changes[name] = _devices(value, source)
        elif name == "customer_display":
            changes[name] = _customer_display(value, source)
        elif name == "printer":
            changes[name] = _printer(value, source)
        elif name == "keymap":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise SettingsError(f"{source}: [keymap] maps binding ids to keys, e.g. \"register.pay\" = \"f12\"")
            changes[name] = dict(value)
        elif name == "trainer_pin":
            if not isinstance(value, str) or not value.isdigit() or not 4 <= len(value) <= 8:
                raise SettingsError(f"{source}: trainer_pin must be 4 to 8 digits, in quotes")
            changes[name] = value
    settings = replace(settings, **changes)
    if settings.api_url and not settings.api_url.startswith(("http://", "https://")):
        raise SettingsError(f"{source}: api_url must start with http:// or https://")
    if settings.api_url and not settings.api_key:
        raise SettingsError("an api_url needs an api_key (setting api_key, CASHIER_API_KEY or --api-key)")
    return settings


def _text(name: str, value: Any, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"{source}: {name} must be a non-empty string")
    return value.strip()


def _positive_number(name: str, value: Any, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise SettingsError(f"{source}: {name} must be a positive number")
    return float(value)


def _table(value: Any, kind: type, name: str, what: str, source: str) -> dict[str, Any]:
    """A nested settings table, refused when it is not a table or has keys ``kind`` lacks."""
    if not isinstance(value, dict):
        raise SettingsError(f"{source}: [{name}] must be a table")
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise SettingsError(f"{source}: unknown {what} {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return value


def _deadlines(value: Any, source: str) -> Deadlines:
    table = _table(value, Deadlines, "deadlines", "deadline", source)
    return replace(Deadlines(), **{k: _positive_number(f"deadlines.{k}", v, source) for k, v in table.items()})


def _kiosk(value: Any, source: str) -> KioskSettings:
    changes: dict[str, Any] = {}
    for name, item in _table(value, KioskSettings, "kiosk", "kiosk setting", source).items():
        if name == "remove_needs_staff":
            if not isinstance(item, bool):
                raise SettingsError(f"{source}: kiosk.remove_needs_staff must be true or false")
            changes[name] = item
        elif name == "staff_pin":
            if not isinstance(item, str) or not item.isdigit() or not 4 <= len(item) <= 8:
                raise SettingsError(f"{source}: kiosk.staff_pin must be 4 to 8 digits, in quotes")
            changes[name] = item
        else:
            changes[name] = _positive_number(f"kiosk.{name}", item, source)
    return replace(KioskSettings(), **changes)


def _register(value: Any, source: str) -> RegisterSettings:
    table = _table(value, RegisterSettings, "register", "register setting", source)
    for name, item in table.items():
        if not isinstance(item, bool):
            raise SettingsError(f"{source}: register.{name} must be true or false")
    return replace(RegisterSettings(), **table)


def _devices(value: Any, source: str) -> DeviceSettings:
    changes: dict[str, Any] = {}
    for name, item in _table(value, DeviceSettings, "devices", "devices setting", source).items():
        if name in ("camera", "nfc"):
            changes[name] = str(item).strip() if isinstance(item, (str, int)) and not isinstance(item, bool) else None
            if changes[name] is None:
                raise SettingsError(f"{source}: devices.{name} must be text, e.g. \"0\" or \"usb\"")
        elif name == "decoder":
            if item not in ("zxing", "zbar"):
                raise SettingsError(f"{source}: devices.decoder must be \"zxing\" or \"zbar\"")
            changes[name] = item
        elif name == "nfc_targets":
            known = ("106A", "106B", "212F", "424F")
            if not isinstance(item, list) or not item or not all(t in known for t in item):
                raise SettingsError(f"{source}: devices.nfc_targets must be a list of {', '.join(known)}")
            changes[name] = tuple(item)
        elif name == "loyalty_card_prefixes":
            if not isinstance(item, list) or not item or not all(isinstance(p, str) and p.isdigit() for p in item):
                raise SettingsError(f"{source}: devices.loyalty_card_prefixes must be a list of digit strings, e.g. [\"2991\"]")
            changes[name] = tuple(item)
        elif name == "scanner_min_length":
            length = int(_positive_number(f"devices.{name}", item, source))
            changes[name] = length
        else:
            changes[name] = _positive_number(f"devices.{name}", item, source)
    devices = replace(DeviceSettings(), **changes)
    if devices.scanner_max_gap_ms > devices.scanner_burst_end_ms:
        raise SettingsError(f"{source}: devices.scanner_max_gap_ms must not be more than scanner_burst_end_ms")
    return devices


def _customer_display(value: Any, source: str) -> CustomerDisplaySettings:
    table = _table(value, CustomerDisplaySettings, "customer_display", "customer_display setting", source)
    changes: dict[str, Any] = {}
    for name, item in table.items():
        if not isinstance(item, str):
            raise SettingsError(f"{source}: customer_display.{name} must be text in quotes")
        changes[name] = item.strip()
    display = replace(CustomerDisplaySettings(), **changes)
    if display.listen:
        try:
            parse_listen(display.listen)
        except DisplayAddressError:
            raise SettingsError(f"{source}: customer_display.listen must be HOST:PORT, e.g. \"127.0.0.1:8765\"") from None
    if display.pole_protocol not in ("epson", "cd5220"):
        raise SettingsError(f"{source}: customer_display.pole_protocol must be \"epson\" or \"cd5220\"")
    if display.pole:
        try:
            parse_serial_url(display.pole, "serial:///dev/ttyUSB1?baudrate=9600")
        except SerialUrlError as error:
            raise SettingsError(f"{source}: customer_display.pole: {error}") from None
    return display


def _printer(value: Any, source: str) -> PrinterSettings:
    table = _table(value, PrinterSettings, "printer", "printer setting", source)
    changes: dict[str, Any] = {}
    for name, item in table.items():
        if name == "width":
            if isinstance(item, bool) or not isinstance(item, int) or not (item == 0 or 32 <= item <= 80):
                raise SettingsError(f"{source}: printer.width must be a whole number of characters from 32 to 80"
                                    " (42 on 80 mm paper, 32 on 58 mm), or 0 for receipt_width")
            changes[name] = item
        elif name == "timeout":
            changes[name] = _positive_number(f"printer.{name}", item, source)
        else:
            if not isinstance(item, str):
                raise SettingsError(f"{source}: printer.{name} must be text in quotes")
            changes[name] = item.strip()
    printer = replace(PrinterSettings(), **changes)
    if printer.connection:
        try:
            parse_connection(printer.connection)
        except PrinterConnectionError as error:
            raise SettingsError(f"{source}: printer.connection: {error}") from None
    if printer.qr not in ("auto", "native", "image"):
        raise SettingsError(f"{source}: printer.qr must be \"auto\", \"native\" or \"image\"")
    if "profile" in table or "codepage" in table:
        _check_printer_profile(printer, source)
    return printer


def _check_printer_profile(printer: PrinterSettings, source: str) -> None:
    """The profile and code page python-escpos knows (its printer database), named when they are not."""
    from escpos.capabilities import get_profile  # the printer database, loaded only when a profile is named
    from escpos.exceptions import Error as EscposError

    try:
        profile = get_profile(printer.profile)
    except (EscposError, KeyError, ValueError):
        raise SettingsError(f"{source}: printer.profile {printer.profile!r} is not in python-escpos's printer"
                            " database (e.g. \"TM-T88V\", \"TM-T20II\", \"TSP600\", \"default\")") from None
    pages = profile.get_code_pages()
    if printer.codepage and printer.codepage.upper() not in pages:
        raise SettingsError(f"{source}: printer.codepage {printer.codepage!r} is not one the {printer.profile}"
                            f" has (it has {', '.join(sorted(pages))})")
