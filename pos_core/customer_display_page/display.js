// The customer display's page script: follows the till's /events (EventSource) and redraws the
// page from each customer view (pos_core/customer_view.py), and sends the customer's answer to the
// enrolment's consent question (POST /consent). Every text from the till goes in with textContent:
// it is data, never markup. Reconnects by itself when the till restarts.
"use strict";

(function () {
  const CLEAR_AFTER_MS = 60000;  // disconnected this long: nobody's basket or name is left on show
  const $ = (id) => document.getElementById(id);
  let view = null;
  let source = null;
  let retryMs = 500;
  let clearTimer = null;
  let marketing = null;  // the customer's choice on the marketing question: true, false or not yet
  let emailReceipts = false;  // "E-mail me my receipts", toggled (the cashier types the address)
  let askedId = null;    // the consent question the buttons belong to
  let sending = false;

  function text(id, value) {
    $(id).textContent = value == null ? "" : String(value);
  }

  function show(id, visible) {
    $(id).hidden = !visible;
  }

  function points(n) {
    return Number(n).toLocaleString("en-GB");
  }

  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content != null) node.textContent = String(content);
    return node;
  }

  // -- drawing the view --------------------------------------------------------------------------

  function draw(next) {
    view = next;
    const phase = next.phase;
    document.body.dataset.phase = phase;
    text("store", next.store);
    show("training", Boolean(next.training));
    const onSale = phase === "basket" || phase === "paying";
    show("welcome", phase === "welcome");
    show("sale", onSale);
    show("enrolling", phase === "enrolling");
    show("thank-you", phase === "thank_you");
    if (onSale) drawSale(next);
    if (phase === "enrolling") drawEnrolment(next.enrolment);
    if (phase === "thank_you") drawThanks(next.thank_you);
    // Last: a test or a watcher may take this as "the page shows this version".
    document.body.dataset.version = String(next.version);
  }

  function drawSale(v) {
    const lines = $("lines");
    const rows = v.lines.map((line, index) => {
      const row = element("li", index === v.lines.length - 1 ? "last" : "");
      row.append(element("span", "name", line.name));
      if (line.quantity !== 1) row.append(element("span", "quantity", "× " + line.quantity));
      row.append(element("span", "amount", line.amount_text));
      return row;
    });
    lines.replaceChildren(...rows);
    const last = lines.lastElementChild;
    if (last) last.scrollIntoView({ block: "nearest" });
    text("subtotal", v.subtotal_text);
    $("discounts").replaceChildren(...v.discounts.map((discount) => {
      const row = element("li");
      row.append(element("span", "", discount.name), element("span", "", discount.amount_text));
      return row;
    }));
    show("savings-row", v.savings > 0);
    text("savings", v.savings_text);
    text("total-label", v.total_estimated ? "Total (about)" : "Total");
    text("total", v.total_text);
    show("paying", v.phase === "paying");
    text("paying-total", v.total_text);
    drawLoyalty(v);
  }

  function drawLoyalty(v) {
    const customer = v.customer;
    show("loyalty", customer != null);
    if (customer == null) return;
    text("customer-name", customer.name);
    text("customer-tier", customer.tier);
    text("customer-balance", (customer.balance_provisional ? "about " : "") + points(customer.balance));
    const reward = customer.next_reward;
    const bar = $("progress-bar");
    show("progress-bar", reward != null && reward.cost > 0);
    if (reward != null && reward.cost > 0) {
      bar.max = reward.cost;
      bar.value = Math.max(0, reward.cost - reward.points_needed);
    }
    text("progress", customer.progress);
    const earned = v.points_this_sale;
    show("points-this-sale", earned != null);
    if (earned != null) {
      const about = v.points_estimated ? "about " : "";
      text("points-this-sale", "This shop earns you " + about + points(earned) + (earned === 1 ? " point" : " points"));
    }
  }

  function drawEnrolment(enrolment) {
    if (enrolment == null) return;
    if (enrolment.request_id !== askedId) {
      askedId = enrolment.request_id;
      marketing = null;
      emailReceipts = false;
      sending = false;
      text("consent-status", "");
    }
    text("terms-version", enrolment.terms_version);
    text("privacy-notice", enrolment.privacy_notice);
    text("marketing-question", enrolment.marketing_question);
    $("marketing-yes").setAttribute("aria-pressed", String(marketing === true));
    $("marketing-no").setAttribute("aria-pressed", String(marketing === false));
    show("email-receipts", Boolean(enrolment.email_receipts_question));
    text("email-receipts", enrolment.email_receipts_question || "");
    $("email-receipts").setAttribute("aria-pressed", String(emailReceipts));
    const answer = enrolment.answer;
    show("consent-choices", answer == null);
    for (const id of ["marketing-yes", "marketing-no", "email-receipts", "agree", "decline"]) $(id).disabled = sending;
    if (answer != null) {
      text("consent-status", answer.accepted
        ? "Thank you: you have agreed" + (answer.marketing ? ", with offers" : ", without offers")
          + (answer.email_receipts ? ", receipts by e-mail" : "") + ". The cashier will finish joining you up."
        : "No problem: you have not joined.");
    }
  }

  function drawThanks(thanks) {
    if (thanks == null) return;
    text("thanks-name", thanks.name ? ", " + thanks.name : "");
    text("thanks-total", thanks.total_text);
    show("thanks-change-row", thanks.change_text != null);
    text("thanks-change", thanks.change_text);
    const earned = thanks.points_earned;
    show("thanks-points", earned != null);
    if (earned != null) {
      const noun = earned === 1 ? " point" : " points";
      text("thanks-points", thanks.points_pending
        ? "About " + points(earned) + noun + " on their way to your account"
        : "You earned " + points(earned) + noun);
    }
    show("thanks-held", Boolean(thanks.points_held_text));
    text("thanks-held", thanks.points_held_text || "");
    show("thanks-balance", thanks.balance != null);
    if (thanks.balance != null) text("thanks-balance", "Your balance: " + points(thanks.balance) + " points");
    show("thanks-referral", Boolean(thanks.referral_code));
    text("thanks-referral", thanks.referral_code ? "Invite a friend with your code " + thanks.referral_code : "");
    show("thanks-emailed", Boolean(thanks.emailed_text));
    text("thanks-emailed", thanks.emailed_text || "");
  }

  // -- the customer's answer ---------------------------------------------------------------------

  function choose(wanted) {
    marketing = wanted;
    if (view && view.enrolment) drawEnrolment(view.enrolment);
  }

  async function answer(accepted) {
    const enrolment = view && view.enrolment;
    if (enrolment == null || enrolment.answer != null || sending) return;
    sending = true;
    drawEnrolment(enrolment);
    let told = "";
    try {
      const response = await fetch("/consent", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ request_id: enrolment.request_id, accepted: accepted, marketing: accepted && marketing === true,
                               email_receipts: accepted && emailReceipts }),
        cache: "no-store",
      });
      if (!response.ok) told = "That question has closed. Please ask the cashier.";
    } catch (error) {
      told = "The till did not answer. Please tell the cashier.";
    }
    sending = false;
    if (view && view.enrolment) drawEnrolment(view.enrolment);
    if (told) text("consent-status", told);
  }

  // -- following the till ------------------------------------------------------------------------

  function connected(yes) {
    document.body.dataset.connected = String(yes);
    text("connection", yes ? "" : "Reconnecting to the till…");
    if (yes) {
      clearTimeout(clearTimer);
      clearTimer = null;
    } else if (clearTimer == null) {
      clearTimer = setTimeout(() => {
        if (view) draw({ ...view, phase: "welcome", lines: [], customer: null, enrolment: null, thank_you: null });
      }, CLEAR_AFTER_MS);
    }
  }

  function follow() {
    source = new EventSource("/events");
    source.onopen = () => {
      retryMs = 500;
      connected(true);
    };
    source.onmessage = (event) => {
      let next;
      try {
        next = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      connected(true);
      draw(next);
    };
    source.onerror = () => {
      connected(false);
      // The browser retries by itself while the stream is merely cut; a refused or failed answer
      // closes it for good, so start a new one, backing off to 5 s.
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(follow, retryMs);
        retryMs = Math.min(retryMs * 2, 5000);
      }
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("marketing-yes").addEventListener("click", () => choose(true));
    $("marketing-no").addEventListener("click", () => choose(false));
    $("email-receipts").addEventListener("click", () => {
      emailReceipts = !emailReceipts;
      if (view && view.enrolment) drawEnrolment(view.enrolment);
    });
    $("agree").addEventListener("click", () => answer(true));
    $("decline").addEventListener("click", () => answer(false));
    follow();
  });
})();
