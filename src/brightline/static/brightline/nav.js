// The main menus are <details> elements and work without this script. With it, opening one menu closes
// the others, and Escape or a click elsewhere closes an open menu (focus returns to its title); a second
// Escape folds away the narrow screen's "Menu".
(function () {
  "use strict";
  function menus() { return document.querySelectorAll("nav.main details.menu"); }
  document.addEventListener("toggle", function (event) {
    var opened = event.target;
    if (!opened.matches || !opened.matches("nav.main details.menu") || !opened.open) { return; }
    menus().forEach(function (menu) { if (menu !== opened) { menu.open = false; } });
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var closed = false;
    menus().forEach(function (menu) {
      if (menu.open) { menu.open = false; menu.querySelector("summary").focus(); closed = true; }
    });
    // With no menu open, Escape folds the narrow screen's "Menu" away again.
    var toggle = document.querySelector("nav.main details.nav-toggle");
    if (!closed && toggle && toggle.open) { toggle.open = false; toggle.querySelector("summary").focus(); }
  });
  document.addEventListener("click", function (event) {
    menus().forEach(function (menu) { if (menu.open && !menu.contains(event.target)) { menu.open = false; } });
  });
})();
