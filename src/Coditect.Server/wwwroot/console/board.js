// The task board (DevContext/Pages/Board): drag a card to another column, or focus it and press Alt+Left/Right, to
// change its status through the card's own form (which works without this file). Up/Down move focus between cards.
// htmx swaps the board in place; the moved card gets focus back so a keyboard user keeps their place.
(function () {
  "use strict";

  var pendingFocus = null;

  function cardOf(node) { return node && node.closest ? node.closest(".task-card") : null; }
  function columnOf(node) { return node && node.closest ? node.closest(".board-column") : null; }

  function move(card, status) {
    var form = card.querySelector("form.status-form");
    var column = columnOf(card);
    if (!form || !column || column.getAttribute("data-status") === status) return;
    form.elements.status.value = status;
    pendingFocus = card.getAttribute("data-task");
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  document.addEventListener("keydown", function (event) {
    var card = event.target.classList && event.target.classList.contains("task-card") ? event.target : null;
    if (!card) return;
    var column = columnOf(card);
    if (event.altKey && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      var columns = Array.prototype.slice.call(document.querySelectorAll(".board-column"));
      var next = columns[columns.indexOf(column) + (event.key === "ArrowLeft" ? -1 : 1)];
      if (next) move(card, next.getAttribute("data-status"));
      event.preventDefault();
    } else if (!event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      var cards = Array.prototype.slice.call(column.querySelectorAll(".task-card"));
      var target = cards[cards.indexOf(card) + (event.key === "ArrowUp" ? -1 : 1)];
      if (target) target.focus();
      event.preventDefault();
    }
  });

  document.addEventListener("dragstart", function (event) {
    var card = cardOf(event.target);
    if (!card || card.getAttribute("draggable") !== "true") return;
    event.dataTransfer.setData("text/plain", card.getAttribute("data-task"));
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("dragging");
  });

  document.addEventListener("dragend", function (event) {
    var card = cardOf(event.target);
    if (card) card.classList.remove("dragging");
    document.querySelectorAll(".board-column.drop").forEach(function (c) { c.classList.remove("drop"); });
  });

  document.addEventListener("dragover", function (event) {
    var column = columnOf(event.target);
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("drop");
  });

  document.addEventListener("dragleave", function (event) {
    var column = columnOf(event.target);
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("drop");
  });

  document.addEventListener("drop", function (event) {
    var column = columnOf(event.target);
    if (!column) return;
    event.preventDefault();
    column.classList.remove("drop");
    var reference = event.dataTransfer.getData("text/plain");
    var card = reference && document.getElementById("card-" + reference);
    if (card) move(card, column.getAttribute("data-status"));
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!pendingFocus) return;
    var card = document.getElementById("card-" + pendingFocus);
    pendingFocus = null;
    if (card) card.focus();
  });
})();
