/*
 * uis-megaplan: click-to-call and do-not-disturb from Megaplan (features T11, T15).
 *
 * Install it as the JS of a Megaplan application widget (placeholders `common_phone_number` and
 * `common_telephony_widget`, megaplan-api.md §8). Fill CONFIG with what the settings page shows under
 * GET /api/telephony/widget: the two URLs and the account's token. The contract it speaks is documented
 * in server/src/telephony/megaplan_contract.rs.
 *
 *   UisMegaplan.call("1000002", "+7 999 123-45-67")          // rings the employee, then the client
 *   UisMegaplan.setDoNotDisturb("1000002", true)              // UIS status «Не беспокоить»
 *   UisMegaplan.doNotDisturb("1000002")                       // the UIS status now: {dnd, status, …}
 *   UisMegaplan.watchDoNotDisturb("1000002", function (on, state) { webPhone.setDnd(on); })
 *
 * The watch asks on start and every `watchEveryMs` (60 s), and calls back when the status changed in
 * UIS (its softphone, its admin pages), so the web phone's «не беспокоить» follows UIS too. The
 * server reads UIS at most once a minute per account, for all its users (UIS counts every call).
 *
 * With `autoBind`, every `a[href^="tel:"]` on the page becomes a click-to-call link for the signed-in
 * user (`employeeId`, taken from the page's Megaplan context when the widget host provides it).
 */
(function (global) {
  "use strict";

  var CONFIG = {
    callUrl: "https://integration.example.ru/hooks/megaplan/ACCOUNT_KEY/telephony/call",
    dndUrl: "https://integration.example.ru/hooks/megaplan/ACCOUNT_KEY/telephony/dnd",
    token: "PASTE-THE-ACCOUNT-TOKEN",
    employeeId: null,
    autoBind: true,
    watchEveryMs: 60000,
  };

  function post(url, body) {
    return request(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Uis-Megaplan-Token": CONFIG.token },
      body: JSON.stringify(body),
    });
  }

  function get(url) {
    return request(url, { method: "GET", headers: { "X-Uis-Megaplan-Token": CONFIG.token } });
  }

  function request(url, init) {
    return fetch(url, init).then(function (r) {
      return r.json().then(function (answer) {
        if (!r.ok) {
          var e = new Error(answer && answer.message ? answer.message : "HTTP " + r.status);
          e.code = answer && answer.error;
          throw e;
        }
        return answer;
      });
    });
  }

  var UisMegaplan = {
    configure: function (options) {
      for (var k in options) if (Object.prototype.hasOwnProperty.call(options, k)) CONFIG[k] = options[k];
      return UisMegaplan;
    },
    /** Starts a call; resolves to {call_session_id, external_id}. */
    call: function (employeeId, phone, externalId) {
      var body = { employee_id: String(employeeId), phone: String(phone) };
      if (externalId) body.external_id = String(externalId);
      return post(CONFIG.callUrl, body);
    },
    /** Mirrors the web phone's «не беспокоить» switch to the UIS employee status. */
    setDoNotDisturb: function (employeeId, on) {
      return post(CONFIG.dndUrl, { employee_id: String(employeeId), dnd: !!on });
    },
    /** The UIS status now; resolves to {employee_id, uis_employee_id, dnd, status, status_id}. */
    doNotDisturb: function (employeeId) {
      var sep = CONFIG.dndUrl.indexOf("?") < 0 ? "?" : "&";
      return get(CONFIG.dndUrl + sep + "employee_id=" + encodeURIComponent(String(employeeId)));
    },
    /**
     * Calls `onChange(dnd, state)` with the UIS status at once and whenever it changes; `onError(e)`
     * (optional) when a read fails (the watch goes on). Returns a function that stops the watch.
     */
    watchDoNotDisturb: function (employeeId, onChange, onError) {
      var last = null;
      var stopped = false;
      var timer = null;
      function tick() {
        UisMegaplan.doNotDisturb(employeeId)
          .then(function (state) {
            if (!stopped && state.dnd !== last) {
              last = state.dnd;
              onChange(state.dnd, state);
            }
          }, function (e) {
            if (!stopped && onError) onError(e);
          })
          .then(function () {
            if (!stopped) timer = setTimeout(tick, CONFIG.watchEveryMs);
          });
      }
      tick();
      return function stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
      };
    },
  };

  function bind(doc) {
    doc.addEventListener("click", function (ev) {
      var a = ev.target && ev.target.closest ? ev.target.closest('a[href^="tel:"]') : null;
      if (!a || !CONFIG.autoBind || !CONFIG.employeeId) return;
      ev.preventDefault();
      UisMegaplan.call(CONFIG.employeeId, a.getAttribute("href").slice(4)).catch(function (e) {
        global.alert("Звонок не начат: " + e.message);
      });
    });
  }

  global.UisMegaplan = UisMegaplan;
  if (global.document) bind(global.document);
})(typeof window !== "undefined" ? window : this);
