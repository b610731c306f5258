/* Progressive enhancement of forms (character counts); every form works without it. */
