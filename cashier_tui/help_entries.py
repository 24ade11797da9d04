"""Every message the till can show a cashier, with what it means and what to do: the help screen
(F1) shows this list, and a test checks that every message the code can show is in it.

``message`` is the message as shown, or its fixed part when the rest varies (a number, a code).
"""

from __future__ import annotations

from dataclasses import dataclass

from devices import payload


@dataclass(frozen=True, slots=True)
class HelpEntry:
    topic: str
    message: str
    means: str
    do: str


HELP: list[HelpEntry] = [
    # -- the loyalty service ---------------------------------------------------------------------
    HelpEntry(
        "Loyalty service",
        "The loyalty service is not answering.",
        "The till cannot reach the loyalty system (network or service down). Sales still work;"
        " points are saved on the till and sent later.",
        "Carry on with the sale. Try the customer again in a moment, or sell without points.",
    ),
    HelpEntry(
        "Loyalty service",
        "This till's loyalty key was refused.",
        "The loyalty system does not accept this till's key: it was changed or withdrawn.",
        "Sell without points and call IT to check the till's key.",
    ),
    HelpEntry(
        "Loyalty service",
        "The loyalty service refused the request.",
        "The loyalty system said no for a reason the till does not know.",
        "Sell without points and tell your supervisor.",
    ),
    HelpEntry(
        "Loyalty service",
        "Loyalty: OFFLINE",
        "The status line: the loyalty system is not answering. Sales waiting are counted next to it.",
        "Keep selling. Balances are marked ≈ (provisional); rewards wait until it is back.",
    ),
    HelpEntry(
        "Loyalty service",
        "Loyalty: catching up",
        "The loyalty system answers again and the till is sending the sales it kept.",
        "Nothing: the till says when every waiting sale has arrived.",
    ),
    HelpEntry(
        "Loyalty service",
        "Loyalty: key refused",
        "The status line: this till's key is not accepted.",
        "Sell without points; call IT.",
    ),
    HelpEntry(
        "Loyalty service",
        "were refused by the loyalty service and are kept on this till",
        "Some sales were refused for good by the loyalty system; the till keeps them and will not send them again.",
        "Tell your supervisor: they can be checked and credited by hand.",
    ),
    HelpEntry(
        "Loyalty service",
        "This sale is NOT finished",
        "The till could not save the sale (a full or broken disk). It did not happen.",
        "Do not give a receipt. Call your supervisor or IT.",
    ),
    # -- finding the customer --------------------------------------------------------------------
    HelpEntry(
        "Customer",
        "No member has that number.",
        "Nobody in the programme has the phone number you typed.",
        "Check the number with the customer, or enrol them (the till offers it).",
    ),
    HelpEntry(
        "Customer",
        "No member has this card.",
        "The loyalty card or app code is not linked to any member (a new or cancelled card).",
        "Ask for their phone number (F2), or enrol them with it.",
    ),
    HelpEntry(
        "Customer",
        "No member has this app code.",
        "The app code belongs to no member now.",
        "Ask for their phone number (F2), or enrol them with it.",
    ),
    HelpEntry(
        "Customer",
        "No member has this card or tag.",
        "The NFC card or sticker tapped is not linked to a member.",
        "Ask for their phone number (F2), or enrol them with it.",
    ),
    HelpEntry(
        "Customer",
        "This app code has expired.",
        "App codes work for a few minutes: this one was open too long.",
        "Ask the customer to refresh the code in their app, then scan again. Do not scan the old one again.",
    ),
    HelpEntry(
        "Customer",
        "This app code was already used.",
        "App codes work once: this one (often a screenshot) was used before.",
        "Ask the customer to open the app and show the live code, then scan it.",
    ),
    HelpEntry(
        "Customer",
        "That number is already a member.",
        "You tried to enrol a phone number that already has an account.",
        "Press F2 and look the customer up by that number instead.",
    ),
    HelpEntry(
        "Customer",
        "The loyalty service could not read that.",
        "What was sent did not make sense to the loyalty system.",
        "Check it with the customer and try again.",
    ),
    HelpEntry(
        "Customer",
        "The loyalty service no longer knows that customer.",
        "The account was closed or merged while the sale was open.",
        "Identify the customer again.",
    ),
    HelpEntry(
        "Customer",
        "Finish or close the open window first",
        "Something was scanned while a dialog was open, so it was not used.",
        "Close the dialog (Esc) or finish it, then scan again.",
    ),
    HelpEntry(
        "Customer",
        "Enter the customer's phone number.",
        "The phone box is empty.",
        "Type the number the customer gives you; any common format works.",
    ),
    HelpEntry(
        "Customer",
        "That is too long for a phone number.",
        "More digits were typed than a phone number has.",
        "Check the digits with the customer.",
    ),
    HelpEntry(
        "Customer",
        "Not a phone number",
        "The digits typed cannot be a phone number here (too short, or a wrong area code).",
        "Check the digits with the customer and type them again.",
    ),
    HelpEntry(
        "Customer",
        "Not a valid number",
        "The number has the wrong length or shape for the country (the till checks before looking it up).",
        "Check the digits; a number from abroad starts with + and its country code.",
    ),
    HelpEntry(
        "Customer",
        "Enter the customer's name.",
        "Enrolment needs a name.",
        "Ask the customer's name and type it.",
    ),
    HelpEntry(
        "Customer",
        "The customer must agree to the terms to join.",
        "Nobody can join without agreeing to the terms.",
        "Ask the customer; tick the box only when they say yes.",
    ),
    # -- scanners, cards and readers -------------------------------------------------------------
    HelpEntry(
        "Scanner",
        payload.PAYMENT_CARD,
        "A bank card was scanned, swiped or typed. The till never keeps its number.",
        "Give it back: it is for the payment terminal. Ask for the loyalty card, app or phone number. Do not try it again.",
    ),
    HelpEntry(
        "Scanner",
        payload.NOT_PRODUCT,
        "The code read is neither one of our products nor a loyalty card.",
        "Scan it again, or type the number under the barcode.",
    ),
    HelpEntry("Scanner", payload.MISREAD, "The scanner read a loyalty number with a wrong check digit.", "Scan again."),
    HelpEntry(
        "Scanner",
        payload.STRIPE_MISREAD,
        "The stripe reader could not read the card cleanly.",
        "Swipe it again in one smooth movement, or type the number printed on the card.",
    ),
    HelpEntry(
        "Scanner",
        payload.OTHER_CARD,
        "A card that is not ours (another shop's, a gift card) was swiped.",
        "Ask for our loyalty card, the app or the phone number.",
    ),
    HelpEntry(
        "Scanner",
        payload.BAD_APP_CODE,
        "The app code was damaged or cut off when read.",
        "Ask the customer to refresh the code in the app, then scan again.",
    ),
    HelpEntry(
        "Scanner",
        payload.LINK,
        "A web link was scanned, not a loyalty pass.",
        "Ask for the loyalty card, or the loyalty pass in their phone's wallet.",
    ),
    HelpEntry("Scanner", payload.EMPTY, "The scanner sent nothing.", "Scan again, or type the code."),
    HelpEntry(
        "Scanner",
        payload.TOO_LONG,
        "Far too much was read at once (two codes, or a stuck key).",
        "Scan again, or type the number under the barcode.",
    ),
    HelpEntry(
        "Click & collect",
        payload.BAD_PICKUP_CODE,
        "Something starting ORD- was read, but it is not a whole pickup code (a misread, or a typing slip).",
        "Scan the code in the customer's e-mail again, or type it: ORD- and 20 letters and digits.",
    ),
    HelpEntry(
        "Click & collect",
        "this order cannot be collected now",
        "The loyalty service does not answer, and only it can say the order is paid and not yet collected.",
        "Do not hand over the goods. Try again in a moment; sell the customer anything else as usual.",
    ),
    HelpEntry(
        "Click & collect",
        "No order has that pickup code.",
        "The service knows no order with that code: a misread, a typing slip, or a code from another shop.",
        "Check the code in the customer's e-mail and scan or type it again.",
    ),
    HelpEntry(
        "Click & collect",
        "Not this store's order",
        "The order is to be collected at another store; this till may not hand it over.",
        "Tell the customer which store holds their order (the message names it).",
    ),
    HelpEntry(
        "Customer display",
        "Pole display unavailable",
        "The till cannot write to the customer's pole display: it is unplugged, switched off, or its port"
        " is wrong. The till keeps trying by itself and says when it is back; the sale is not affected.",
        "Carry on selling and tell the customer the total. Check the display's cable and power; if it"
        " stays away, ask IT to check [customer_display] pole (python -m devices list).",
    ),
    HelpEntry(
        "Scanner",
        "unavailable",
        "A reader (camera, NFC) is missing or unplugged. The till says it once and carries on without it.",
        "Use the handheld scanner or type; ask IT to check the reader's cable.",
    ),
    # -- the basket, rewards and payment ---------------------------------------------------------
    HelpEntry(
        "Basket",
        "No product has the code",
        "The code is not in the product list.",
        "Scan the item again, or type the code on its label; call your supervisor for the price.",
    ),
    HelpEntry(
        "Basket",
        "For several of one item type the count, *, then the code: 3*1001.",
        "The count before * was not understood.",
        "Type it as count*code, e.g. 3*1001.",
    ),
    HelpEntry(
        "Basket",
        "The count must be between",
        "The count typed before * is too big or zero.",
        "Type a smaller count.",
    ),
    HelpEntry(
        "Basket",
        "That is not a product code.",
        "What was typed cannot be a product code.",
        "Scan the item again or type the code on its label.",
    ),
    HelpEntry("Basket", "Scan an item or type its code.", "Enter was pressed with nothing typed.", "Scan or type a code."),
    HelpEntry(
        "Basket",
        "The product list could not be loaded",
        "The till could not read its product list.",
        "Call IT; the till retries by itself meanwhile.",
    ),
    HelpEntry(
        "Rewards",
        "Rewards cannot be used while the loyalty service is offline.",
        "Rewards need the loyalty system, so two tills cannot spend the same points.",
        "Press F3 and untick them, then take payment. The customer keeps their points for next time.",
    ),
    HelpEntry(
        "Rewards",
        "That reward cannot be used on this basket.",
        "The reward needs something the basket does not have (e.g. a hot drink).",
        "Check what it needs, or leave it off.",
    ),
    HelpEntry(
        "Rewards",
        "they were taken off. Press F3 to use them again.",
        "The basket changed or the service went offline, so the rewards on it were removed.",
        "Press F3 to put them back when they apply.",
    ),
    HelpEntry(
        "Payment",
        "The payment does not cover the total.",
        "Less cash was entered than is due.",
        "Type the cash the customer handed over, or leave it empty for the exact amount.",
    ),
    HelpEntry(
        "Payment",
        "A card payment cannot be more than the total.",
        "Card payments are for the exact amount.",
        "Take the exact total on the payment terminal.",
    ),
    HelpEntry(
        "Payment",
        "is not an amount",
        "The cash typed is not a sum of money.",
        "Type it as 10 or 10.50.",
    ),
    HelpEntry(
        "Payment",
        "decimals",
        "The cash typed has too many digits after the point.",
        "Type it as 10 or 10.50.",
    ),
    HelpEntry(
        "Sale",
        "This sale's number was already used.",
        "The loyalty system already has a sale with this number.",
        "Void the sale and ring it up again.",
    ),
    HelpEntry(
        "Sale",
        "Something went wrong.",
        "Something unexpected happened; the sale is still open.",
        "Try again, or call your supervisor.",
    ),
    HelpEntry(
        "Sale",
        "Points pending",
        "The loyalty system did not confirm in time: the points are saved on the till and sent later.",
        "Give the receipt as usual; it shows a provisional balance.",
    ),
    # -- cashiers signing on ([register] sign_on) --------------------------------------------------
    HelpEntry(
        "Sign-on",
        "Register locked: sign on",
        "The register asks who is selling: at the start of a shift, or after Ctrl+L locked it."
        " A sale in progress is kept underneath.",
        "Type your staff id, Enter, then your PIN, Enter. Ctrl+L locks the register again when you leave it.",
    ),
    HelpEntry(
        "Sign-on",
        "Wrong staff id or PIN.",
        "The loyalty system (or, offline, this till) did not match that staff id and PIN. After 5 wrong"
        " PINs in a row you are locked out.",
        "Type them again carefully; if you have forgotten your PIN, ask head office.",
    ),
    HelpEntry(
        "Sign-on",
        "You are locked out after 5 wrong PINs",
        "Five wrong PINs in a row were typed for your staff id, so the loyalty system refuses it for now.",
        "Ask head office to unlock you (loyalty-service unlock-staff).",
    ),
    HelpEntry(
        "Sign-on",
        "This staff id is disabled",
        "Head office has disabled this staff id: it can no longer sign on.",
        "Ask head office or your supervisor.",
    ),
    HelpEntry(
        "Sign-on",
        "you have not signed on at this till before",
        "The loyalty system is offline, and this till has no record of your PIN from an earlier sign-on,"
        " so it cannot check it.",
        "Ask a colleague who has signed on here before to sign on, or wait for the loyalty system.",
    ),
    HelpEntry(
        "Sign-on",
        "Signed on offline",
        "The loyalty system was not answering, so this till checked your PIN against the one you used"
        " at your last sign-on here.",
        "Carry on selling; your sales carry your staff id and reach the loyalty system later.",
    ),
    HelpEntry(
        "Sign-on",
        "wrong PINs while offline",
        "Five wrong PINs were typed while the loyalty system was offline: the till forgot your PIN.",
        "Wait for the loyalty system to answer, then sign on again.",
    ),
    HelpEntry(
        "Sign-on",
        "The register is locked: sign on first",
        "A card or receipt was presented while the register was locked.",
        "Sign on, then present the card or scan the receipt again.",
    ),
    # -- the receipt printer ----------------------------------------------------------------------
    HelpEntry(
        "Receipt printer",
        "Printer OFFLINE",
        "The till cannot reach the receipt printer (switched off, unplugged, or off the network)."
        " The sale is finished all the same; its receipt is kept on the till.",
        "Check the printer is on and connected, then press Ctrl+P to print the receipts that did not print.",
    ),
    HelpEntry(
        "Receipt printer",
        "Printer: OUT OF PAPER",
        "The printer has no paper; receipts are kept on the till until it has.",
        "Put in a new roll, close the cover, then press Ctrl+P.",
    ),
    HelpEntry(
        "Receipt printer",
        "Printer: COVER OPEN",
        "The printer's cover is open, so it cannot print; receipts are kept on the till.",
        "Close the cover firmly, then press Ctrl+P.",
    ),
    HelpEntry(
        "Receipt printer",
        "Printer: paper low",
        "The roll is nearly finished; receipts still print.",
        "Have a new roll ready and change it when the next customer has gone.",
    ),
    HelpEntry(
        "Receipt printer",
        "receipt not printed (^P reprints)",
        "A receipt did not come out of the printer; it is kept on the till, even across a restart.",
        "Once the printer is ready, press Ctrl+P: the kept receipts print, oldest first.",
    ),
    HelpEntry(
        "Receipt printer",
        "Printer unavailable",
        "The printer's connection needs a library this till does not have (pycups for cups://).",
        "Call IT: `python -m devices list` says what is missing.",
    ),
    # -- returns and adjustments -------------------------------------------------------------------
    HelpEntry(
        "Return",
        "No sale has that receipt number.",
        "The loyalty system has no sale with that receipt number: a typing slip, another store's"
        " system, or a sale made without a loyalty customer.",
        "Check the number under the receipt's code, or scan it again. A sale without a customer is"
        " refunded as a plain return, without points.",
    ),
    HelpEntry(
        "Return",
        "Everything on this receipt has been returned already.",
        "Every item on that sale has come back in earlier returns.",
        "Nothing more can be refunded on this receipt; call your supervisor if the customer disagrees.",
    ),
    HelpEntry(
        "Return",
        "The customer owes",
        "The points from the returned items had already been spent, so the balance is below zero.",
        "Nothing to do now: the points come off what the customer earns next. Tell them so.",
    ),
    # -- the manager screen (Ctrl+B) ---------------------------------------------------------------
    HelpEntry(
        "Manager screen",
        "That id and PIN are not a manager's.",
        "The loyalty system did not match that manager id and PIN, so the manager screen stays shut."
        " After 5 wrong PINs in a row the manager is locked out.",
        "The manager types their own id (mgr_…) and PIN: press Ctrl+B again.",
    ),
    HelpEntry(
        "Manager screen",
        "This manager is locked out after 5 wrong PINs",
        "Five wrong PINs in a row were typed for this manager (here or at another till).",
        "Ask head office to free them (loyalty-service unlock-manager).",
    ),
    HelpEntry(
        "Manager screen",
        "the figures cannot be shown now",
        "The loyalty system is not answering, so the store's figures cannot be fetched. The sale is not affected.",
        "Press R on the manager screen to try again, or Esc to go back to the sale.",
    ),
    HelpEntry(
        "Manager screen",
        "This loyalty service has no store reports",
        "The loyalty system this till talks to is older than the store reports.",
        "Ask IT to update the loyalty service; selling is not affected.",
    ),
    HelpEntry(
        "Manager screen",
        "The manager screen is not available in training",
        "Training runs on a practice store: the real store's figures are not shown there.",
        "Leave training to see the store's figures.",
    ),
    HelpEntry(
        "Adjust points",
        "it cannot go below zero",
        "A manual adjustment may not take more points than the customer has.",
        "Take fewer points, or ask your supervisor.",
    ),
    # -- e-mailed receipts -----------------------------------------------------------------------
    HelpEntry(
        "E-mailed receipt",
        "That is not an e-mail address",
        "The address typed (at enrolment, or with Ctrl+E for one sale) cannot be an e-mail address:"
        " a missing @, a space, a slip of the keys. Nothing was sent.",
        "Read it back to the customer and type it again, or leave it empty for a paper receipt.",
    ),
    HelpEntry(
        "E-mailed receipt",
        "The loyalty service says that is not an e-mail address.",
        "The loyalty system refused the address. Nothing was enrolled.",
        "Check it with the customer, or leave it empty and enrol them without it.",
    ),
    HelpEntry(
        "E-mailed receipt",
        "There is no e-mail address for this customer.",
        "An e-mailed receipt was asked for, but the loyalty system has no address for this customer.",
        "Press Ctrl+E and type the customer's address for this sale, or give a paper receipt.",
    ),
    HelpEntry(
        "E-mailed receipt",
        "Type the customer's e-mail address",
        "\"E-mail me my receipts\" is ticked, or Ctrl+E was pressed, with no address typed.",
        "Type the address the customer gives, or untick the box for paper receipts.",
    ),
    HelpEntry(
        "E-mailed receipt",
        "Receipt will be e-mailed",
        "This sale's receipt goes by e-mail (the customer's choice, or Ctrl+E); only the start of the"
        " address is shown. With the loyalty service away it goes once the sale reaches it.",
        "Nothing to do. Ctrl+E changes it for this sale (\"Not this time\" for paper only).",
    ),
    HelpEntry(
        "E-mailed receipt",
        "Receipt e-mailed to",
        "The loyalty system has the sale and has queued its receipt to that address.",
        "Nothing to do; the paper's second code opens the same receipt on the customer's phone.",
    ),
    HelpEntry(
        "E-mailed receipt",
        "This loyalty service does not keep e-mail addresses",
        "The customer was enrolled, but this loyalty system has no digital receipts: the address was not kept.",
        "Give paper receipts. Tell your supervisor if the store expects e-mailed ones.",
    ),
]


def entry_for(text: str) -> HelpEntry | None:
    """The entry whose message ``text`` shows, if any."""
    return next((entry for entry in HELP if entry.message in text), None)
