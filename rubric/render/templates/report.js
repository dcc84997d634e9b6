// A click on a remark, a place, a score error or a "Practise first" point highlights that span in every
// picture of its take, shows what was said about it, and plays the take from there when it is embedded.
document.addEventListener("click", function (event) {
  var item = event.target.closest("[data-s]");
  if (!item) return;
  var take = item.closest("section.report");
  var duration = parseFloat(take.dataset.duration);
  var start = parseFloat(item.dataset.s), end = parseFloat(item.dataset.e);
  var left = 100 * start / duration, width = Math.max(100 * (end - start) / duration, 0.5);
  take.querySelectorAll(".track").forEach(function (track) {
    var hl = track.querySelector(".hl");
    if (!hl) { hl = document.createElement("div"); hl.className = "hl"; track.appendChild(hl); }
    hl.style.left = left + "%"; hl.style.width = width + "%";
  });
  take.querySelectorAll(".picked-on").forEach(function (x) { x.classList.remove("picked-on"); });
  item.classList.add("picked-on");
  var picked = take.querySelector(".picked");
  if (picked) picked.textContent = item.dataset.text || "";
  var audio = take.querySelector("audio");
  if (audio) { audio.currentTime = start; var p = audio.play(); if (p) p.catch(function () {}); }
});
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
});
