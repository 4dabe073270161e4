/**
 * The one script of every page, inline and allowed by its SHA-256 in the CSP (never
 * `unsafe-inline`): enhancements only, the pages are complete without it. It shows the
 * copy buttons (hidden without script, as they could not work), turns publication dates
 * into "3 days ago" (the exact instant stays in the tooltip), and sends the version and
 * target pickers on change (without script, their button does).
 */
export const PAGE_SCRIPT = `
(function () {
  var copyButtons = document.querySelectorAll('button[data-copy]');
  for (var i = 0; i < copyButtons.length; i++) {
    (function (button) {
      var source = document.getElementById(button.getAttribute('data-copy'));
      if (!source || !navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener('click', function () {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          button.textContent = 'Copied';
          button.setAttribute('aria-live', 'polite');
          setTimeout(function () { button.textContent = 'Copy'; }, 1500);
        });
      });
    })(copyButtons[i]);
  }
  var units = [['year', 31536e6], ['month', 2592e6], ['week', 6048e5], ['day', 864e5], ['hour', 36e5], ['minute', 6e4]];
  var format = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat('en', { numeric: 'auto' }) : null;
  var times = document.querySelectorAll('time[data-relative]');
  for (var j = 0; j < times.length && format; j++) {
    var ms = Date.parse(times[j].getAttribute('datetime')) - Date.now();
    if (isNaN(ms)) continue;
    var text = format.format(0, 'minute');
    for (var k = 0; k < units.length; k++) {
      if (Math.abs(ms) >= units[k][1]) { text = format.format(Math.round(ms / units[k][1]), units[k][0]); break; }
    }
    times[j].textContent = text;
  }
  var pickers = document.querySelectorAll('select[data-autosubmit]');
  for (var m = 0; m < pickers.length; m++) {
    pickers[m].addEventListener('change', function (event) { event.target.form.submit(); });
  }
})();
`;
