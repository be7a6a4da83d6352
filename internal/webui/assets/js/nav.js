// Which page is shown: a page still loading when another opens stops
// drawing (current(gen) turns false).
let generation = 0;

export function nextPage() {
  return ++generation;
}

export function current(gen) {
  return gen === generation;
}
