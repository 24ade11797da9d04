"""``python -m devices``: tools for the people who install tills.

    python -m devices decode FILE       one JSON line per identification found in an image or video
    python -m devices classify TEXT     what a scanned, swiped or typed string is, as JSON
    python -m devices list              which sources this machine has, and why not, and the receipt
                                        printer ([printer] connection, or --printer URL): reachable or why not

A payment card is never printed beyond its last four digits.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from pathlib import Path

from devices.payload import PayloadRules, classify, classify_command


def _rules(args: argparse.Namespace) -> PayloadRules:
    prefixes = tuple(p for p in (args.prefixes or "").split(",") if p) or PayloadRules().loyalty_card_prefixes
    return PayloadRules(loyalty_card_prefixes=prefixes, region=args.region)


def decode(args: argparse.Namespace) -> int:
    from devices.barcode_decoder import DecoderUnavailable, make_decoder
    from devices.decode_file import UnreadableFile, decode_file

    try:
        decoder = make_decoder(args.decoder)
        found = decode_file(Path(args.file), decoder)
    except (DecoderUnavailable, UnreadableFile, ValueError) as error:
        print(f"devices decode: {error}", file=sys.stderr)
        return 1
    rules = _rules(args)
    for read in found:
        payload = classify(read["text"], rules, source="camera").to_json()
        # What the camera read, as the till would take it: the raw text only when it is harmless.
        line = {"frame": read["frame"], "format": read["format"], **payload}
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return 0


def classify_text(args: argparse.Namespace) -> int:
    print(json.dumps(classify_command(args.text, _rules(args)), ensure_ascii=False))
    return 0


def list_sources(args: argparse.Namespace) -> int:
    from devices.barcode_decoder import decoder_availability
    from devices.camera import camera_availability
    from devices.nfc_reader import nfc_availability

    rows: list[tuple[str, str | None]] = [
        ("keyboard-wedge scanner / stripe reader", None),
        ("phone number (typed)", None),
    ]
    for name, why in decoder_availability().items():
        rows.append((f"barcode decoder {name}", why))
    cameras = [args.camera] if args.camera else sorted(glob.glob("/dev/video*")) or ["0"]
    for camera in cameras:
        rows.append((f"camera {camera}", camera_availability(camera)))
    rows.append((f"NFC reader {args.nfc}", nfc_availability(args.nfc)))
    settings, problem = _till_settings() if args.printer is None or args.pole is None else (None, None)
    rows.append(printer_row(args.printer, settings, problem))
    rows.append(pole_row(args.pole, settings, problem))
    if args.json:
        for source, why in rows:
            print(json.dumps({"source": source, "available": why is None, "why_not": why}))
    else:
        width = max(len(source) for source, _ in rows)
        for source, why in rows:
            print(f"{'yes' if why is None else 'no ':4} {source:{width}}  {why or ''}".rstrip())
    return 0


def _till_settings() -> tuple[object | None, str | None]:
    """The till's settings (for what is configured), or None and why they cannot be read."""
    from pos_core.settings import SettingsError, load_settings

    try:
        return load_settings(), None
    except SettingsError as error:
        return None, f"the till's settings cannot be read: {error}"


def printer_row(url: str | None, settings: object | None, problem: str | None) -> tuple[str, str | None]:
    """The receipt printer given, else the one the till's settings name, and whether it answers."""
    from devices.receipt_printer import printer_availability

    if url is not None:
        return (f"receipt printer {url}", printer_availability(url))
    if settings is None:
        return ("receipt printer", problem)
    url = settings.printer.connection
    if not url:
        return ("receipt printer", "none configured ([printer] connection in the settings, or --printer URL)")
    return (f"receipt printer {url}", printer_availability(url, timeout=settings.printer.timeout))


def pole_row(url: str | None, settings: object | None, problem: str | None) -> tuple[str, str | None]:
    """The pole display given, else the one the till's settings name, and whether it opens."""
    from devices.pole_display import pole_availability

    if url is None:
        if settings is None:
            return ("pole display", problem)
        url = settings.customer_display.pole
    if not url:
        return "pole display", "none configured ([customer_display] pole, or --pole URL)"
    return f"pole display {url}", pole_availability(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devices", description=__doc__.split("\n")[0])
    parser.add_argument("--region", default="GB", help="default country for phone numbers (default GB)")
    parser.add_argument("--prefixes", help="loyalty card prefixes, comma separated (default 2991)")
    commands = parser.add_subparsers(dest="command", required=True)
    decode_parser = commands.add_parser("decode", help="decode an image or video file")
    decode_parser.add_argument("file")
    decode_parser.add_argument("--decoder", default="zxing", choices=("zxing", "zbar"))
    decode_parser.set_defaults(run=decode)
    classify_parser = commands.add_parser("classify", help="classify a scanned, swiped or typed string")
    classify_parser.add_argument("text")
    classify_parser.set_defaults(run=classify_text)
    list_parser = commands.add_parser("list", help="which sources are available here")
    list_parser.add_argument("--camera", help="check this camera (index, file or URL) instead of /dev/video*")
    list_parser.add_argument("--nfc", default="usb", help="check this NFC reader path (default usb)")
    list_parser.add_argument("--printer", help="check this receipt printer (tcp://, usb://, serial://, file://, cups://)"
                             " instead of the one in the settings")
    list_parser.add_argument("--pole", help="check this pole display (serial://DEVICE?baudrate=N) instead of the configured one")
    list_parser.add_argument("--json", action="store_true", help="one JSON line per source")
    list_parser.set_defaults(run=list_sources)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
