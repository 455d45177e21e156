/*
 * H5P.PassageMultiChoice (MIT, Passage contributors): one question, several options.
 * One right option: radio buttons; several (or params.multiple): checkboxes.
 *
 * content.json: {"question": "...", "answers": [{"text": "...", "correct": true,
 *   "feedback": "..."}], "multiple": false, "language": "en", "dir": "ltr", "l10n": {...}}
 * Score: right options chosen minus wrong options chosen, never below 0; the maximum is the
 * number of right options. State: {"answers": [indexes chosen], "checked": bool}.
 */
(function (H5P) {
  "use strict";
  var Question = H5P.PassageQuestion;
  var el = Question.el;
  var counter = 0;

  function PassageMultiChoice(params, contentId, extras) {
    Question.call(this, params, contentId, extras);
    this.cssClass = "passage-mc";
    this.answers = Array.isArray(this.params.answers) ? this.params.answers : [];
    var rightCount = this.answers.filter(function (a) { return a && a.correct; }).length;
    this.multiple = this.params.multiple === true || rightCount > 1;
    this.inputs = [];
    this.name = "passage-mc-" + contentId + "-" + (counter += 1);
  }
  PassageMultiChoice.prototype = Object.create(Question.prototype);
  PassageMultiChoice.prototype.constructor = PassageMultiChoice;

  PassageMultiChoice.prototype.renderBody = function (fieldset) {
    var hint = this.multiple ? this.t("chooseAll", null, "Choose all that apply.") : this.t("chooseOne", null, "Choose one answer.");
    fieldset.appendChild(el("p", { class: "passage-q__hint" }, hint));
    var list = el("ul", { class: "passage-q__options" });
    var self = this;
    this.items = this.answers.map(function (answer, index) {
      var item = el("li");
      var label = el("label", { class: "passage-q__option" });
      var input = el("input", { type: self.multiple ? "checkbox" : "radio", name: self.name, value: String(index) });
      label.appendChild(input);
      label.appendChild(el("span", { class: "passage-q__option-text" }, answer.text));
      item.appendChild(label);
      list.appendChild(item);
      self.inputs.push(input);
      return label;
    });
    fieldset.appendChild(list);
  };

  PassageMultiChoice.prototype.chosen = function () {
    return this.inputs.map(function (input) { return input.checked; });
  };

  PassageMultiChoice.prototype.getMaxScore = function () {
    var right = this.answers.filter(function (a) { return a && a.correct; }).length;
    return this.multiple ? right : Math.min(right, 1);
  };

  PassageMultiChoice.prototype.getScore = function () {
    var answers = this.answers;
    var score = 0;
    this.chosen().forEach(function (checked, i) {
      if (checked) score += answers[i].correct ? 1 : -1;
    });
    return Math.max(0, Math.min(score, this.getMaxScore()));
  };

  PassageMultiChoice.prototype.getAnswerGiven = function () {
    return this.chosen().some(Boolean);
  };

  PassageMultiChoice.prototype.readState = function () {
    var answers = [];
    this.chosen().forEach(function (checked, i) { if (checked) answers.push(i); });
    return { answers: answers };
  };

  PassageMultiChoice.prototype.writeState = function (state) {
    var wanted = Array.isArray(state.answers) ? state.answers : [];
    this.inputs.forEach(function (input, i) { input.checked = wanted.indexOf(i) >= 0; });
  };

  PassageMultiChoice.prototype.setEnabled = function (enabled) {
    this.inputs.forEach(function (input) { input.disabled = !enabled; });
  };

  PassageMultiChoice.prototype.markAnswers = function (show) {
    var self = this;
    this.items.forEach(function (label, i) {
      var old = label.querySelector(".passage-q__tip");
      if (old) old.remove();
      var answer = self.answers[i];
      if (!show || !self.inputs[i].checked) {
        self.itemFeedback(label, null);
        return;
      }
      var right = !!answer.correct;
      self.itemFeedback(label, right ? "right" : "wrong", right ? self.t("correct", null, "Correct") : self.t("incorrect", null, "Not correct"));
      if (answer.feedback) label.appendChild(el("p", { class: "passage-q__tip" }, answer.feedback));
    });
  };

  PassageMultiChoice.prototype.markSolution = function () {
    var self = this;
    this.items.forEach(function (label, i) {
      if (self.answers[i].correct && !self.inputs[i].checked) {
        self.itemFeedback(label, "missed", self.t("rightAnswer", null, "Right answer"));
      }
    });
  };

  PassageMultiChoice.prototype.xapiDefinition = function () {
    var right = [];
    this.answers.forEach(function (a, i) { if (a.correct) right.push(String(i)); });
    var language = this.languageAndDirection().language || "und";
    var text = function (value) { var map = {}; map[language] = String(value || ""); return map; };
    return {
      type: "http://adlnet.gov/expapi/activities/cmi.interaction",
      interactionType: "choice",
      description: text(this.params.question),
      correctResponsesPattern: [right.join("[,]")],
      choices: this.answers.map(function (a, i) { return { id: String(i), description: text(a.text) }; }),
    };
  };

  PassageMultiChoice.prototype.xapiResponse = function () {
    return this.readState().answers.map(String).join("[,]");
  };

  H5P.PassageMultiChoice = PassageMultiChoice;
})(H5P);
