/*
 * H5P.PassageFillBlanks (MIT, Passage contributors): a text with gaps to type into.
 *
 * content.json: {"question": "instruction", "text": "Berlin is the *capital* of Germany.\n
 *   I *am/'m* here.", "caseSensitive": false, "language": "en", "dir": "ltr", "l10n": {...}}
 * A gap is *answer* or *answer/alternative/...*; answers are compared trimmed, with runs of
 * spaces made one, and without regard to case (unless caseSensitive). One point per gap.
 * State: {"answers": ["typed", ...], "checked": bool}.
 */
(function (H5P) {
  "use strict";
  var Question = H5P.PassageQuestion;
  var el = Question.el;
  var counter = 0;

  /** Split a line into text and gaps: ["text", {answers: [...]}, "text", ...]. */
  function parseLine(line) {
    var parts = [];
    var pattern = /\*([^*\n]+)\*/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(line)) !== null) {
      if (match.index > last) parts.push(line.slice(last, match.index));
      var answers = match[1].split("/").map(function (a) { return a.trim(); }).filter(Boolean);
      parts.push(answers.length ? { answers: answers } : match[0]);
      last = pattern.lastIndex;
    }
    if (last < line.length) parts.push(line.slice(last));
    return parts;
  }

  function PassageFillBlanks(params, contentId, extras) {
    Question.call(this, params, contentId, extras);
    this.cssClass = "passage-fb";
    this.lines = String(this.params.text || "").split(/\r?\n/).map(parseLine);
    this.gaps = [];
    this.prefix = "passage-fb-" + contentId + "-" + (counter += 1);
  }
  PassageFillBlanks.prototype = Object.create(Question.prototype);
  PassageFillBlanks.prototype.constructor = PassageFillBlanks;

  PassageFillBlanks.prototype.normalise = function (value) {
    var text = String(value || "").trim().replace(/\s+/g, " ");
    return this.params.caseSensitive ? text : text.toLocaleLowerCase();
  };

  PassageFillBlanks.prototype.renderBody = function (fieldset) {
    var self = this;
    var total = this.lines.reduce(function (n, parts) {
      return n + parts.filter(function (p) { return typeof p !== "string"; }).length;
    }, 0);
    this.lines.forEach(function (parts) {
      if (!parts.length) return;
      var paragraph = el("p", { class: "passage-fb__text" });
      parts.forEach(function (part) {
        if (typeof part === "string") {
          paragraph.appendChild(document.createTextNode(part));
          return;
        }
        var number = self.gaps.length + 1;
        var id = self.prefix + "-" + number;
        var holder = el("span", { class: "passage-fb__gap" });
        holder.appendChild(el("label", { for: id, class: "passage-q__sr" }, self.t("gapLabel", { num: number, total: total }, "Blank :num of :total")));
        var input = el("input", {
          type: "text",
          id: id,
          class: "passage-fb__input",
          autocomplete: "off",
          autocapitalize: "off",
          spellcheck: "false",
        });
        holder.appendChild(input);
        paragraph.appendChild(holder);
        self.gaps.push({ answers: part.answers, input: input, holder: holder });
      });
      fieldset.appendChild(paragraph);
    });
  };

  PassageFillBlanks.prototype.gapRight = function (gap) {
    var typed = this.normalise(gap.input.value);
    var self = this;
    return typed !== "" && gap.answers.some(function (a) { return self.normalise(a) === typed; });
  };

  PassageFillBlanks.prototype.getMaxScore = function () { return this.gaps.length; };

  PassageFillBlanks.prototype.getScore = function () {
    var self = this;
    return this.gaps.filter(function (gap) { return self.gapRight(gap); }).length;
  };

  PassageFillBlanks.prototype.getAnswerGiven = function () {
    return this.gaps.some(function (gap) { return gap.input.value.trim() !== ""; });
  };

  PassageFillBlanks.prototype.readState = function () {
    return { answers: this.gaps.map(function (gap) { return gap.input.value; }) };
  };

  PassageFillBlanks.prototype.writeState = function (state) {
    var answers = Array.isArray(state.answers) ? state.answers : [];
    this.gaps.forEach(function (gap, i) {
      gap.input.value = typeof answers[i] === "string" ? answers[i] : "";
    });
  };

  PassageFillBlanks.prototype.setEnabled = function (enabled) {
    // readOnly, not disabled: the typed answer stays readable and focusable after Check.
    this.gaps.forEach(function (gap) { gap.input.readOnly = !enabled; });
  };

  PassageFillBlanks.prototype.focusFirst = function () {
    if (this.gaps.length) this.gaps[0].input.focus();
  };

  PassageFillBlanks.prototype.markAnswers = function (show) {
    var self = this;
    this.gaps.forEach(function (gap) {
      if (!show) {
        self.itemFeedback(gap.holder, null);
        gap.input.removeAttribute("aria-invalid");
        return;
      }
      var right = self.gapRight(gap);
      self.itemFeedback(gap.holder, right ? "right" : "wrong", right ? self.t("correct", null, "Correct") : self.t("incorrect", null, "Not correct"));
      gap.input.setAttribute("aria-invalid", right ? "false" : "true");
    });
  };

  PassageFillBlanks.prototype.markSolution = function () {
    var self = this;
    this.gaps.forEach(function (gap) {
      if (!self.gapRight(gap)) {
        self.itemFeedback(gap.holder, "missed", self.t("solutionLabel", { answer: gap.answers[0] }, "Answer: :answer"));
      }
    });
  };

  PassageFillBlanks.prototype.xapiDefinition = function () {
    var language = this.languageAndDirection().language || "und";
    var description = {};
    description[language] = String(this.params.question || "") + " " + String(this.params.text || "").replace(/\*[^*\n]+\*/g, "__________");
    return {
      type: "http://adlnet.gov/expapi/activities/cmi.interaction",
      interactionType: "fill-in",
      description: description,
      correctResponsesPattern: ["{case_matters=" + !!this.params.caseSensitive + "}" + this.gaps.map(function (gap) { return gap.answers[0]; }).join("[,]")],
    };
  };

  PassageFillBlanks.prototype.xapiResponse = function () {
    return this.gaps.map(function (gap) { return gap.input.value.trim(); }).join("[,]");
  };

  H5P.PassageFillBlanks = PassageFillBlanks;
})(H5P);
