/*
 * H5P.PassageTrueFalse (MIT, Passage contributors): is the statement true or false?
 *
 * content.json: {"question": "...", "correct": true, "feedbackTrue": "...",
 *   "feedbackFalse": "...", "language": "en", "dir": "ltr", "l10n": {"trueText": "True",
 *   "falseText": "False", ...}}
 * Score 1 or 0. State: {"answer": true | false | null, "checked": bool}.
 */
(function (H5P) {
  "use strict";
  var Question = H5P.PassageQuestion;
  var el = Question.el;
  var counter = 0;

  function PassageTrueFalse(params, contentId, extras) {
    Question.call(this, params, contentId, extras);
    this.cssClass = "passage-tf";
    this.correct = this.params.correct === true || this.params.correct === "true";
    this.name = "passage-tf-" + contentId + "-" + (counter += 1);
  }
  PassageTrueFalse.prototype = Object.create(Question.prototype);
  PassageTrueFalse.prototype.constructor = PassageTrueFalse;

  PassageTrueFalse.prototype.renderBody = function (fieldset) {
    var list = el("ul", { class: "passage-q__options" });
    var self = this;
    this.choices = [true, false].map(function (value) {
      var item = el("li");
      var label = el("label", { class: "passage-q__option" });
      var input = el("input", { type: "radio", name: self.name, value: String(value) });
      label.appendChild(input);
      label.appendChild(el("span", { class: "passage-q__option-text" }, value ? self.t("trueText", null, "True") : self.t("falseText", null, "False")));
      item.appendChild(label);
      list.appendChild(item);
      return { value: value, input: input, label: label };
    });
    fieldset.appendChild(list);
  };

  PassageTrueFalse.prototype.answer = function () {
    for (var i = 0; i < this.choices.length; i += 1) {
      if (this.choices[i].input.checked) return this.choices[i].value;
    }
    return null;
  };

  PassageTrueFalse.prototype.getMaxScore = function () { return 1; };
  PassageTrueFalse.prototype.getScore = function () { return this.answer() === this.correct ? 1 : 0; };
  PassageTrueFalse.prototype.getAnswerGiven = function () { return this.answer() !== null; };
  PassageTrueFalse.prototype.readState = function () { return { answer: this.answer() }; };

  PassageTrueFalse.prototype.writeState = function (state) {
    this.choices.forEach(function (choice) { choice.input.checked = state.answer === choice.value; });
  };

  PassageTrueFalse.prototype.setEnabled = function (enabled) {
    this.choices.forEach(function (choice) { choice.input.disabled = !enabled; });
  };

  PassageTrueFalse.prototype.markAnswers = function (show) {
    var self = this;
    this.choices.forEach(function (choice) {
      var old = choice.label.querySelector(".passage-q__tip");
      if (old) old.remove();
      if (!show || !choice.input.checked) {
        self.itemFeedback(choice.label, null);
        return;
      }
      var right = choice.value === self.correct;
      self.itemFeedback(choice.label, right ? "right" : "wrong", right ? self.t("correct", null, "Correct") : self.t("incorrect", null, "Not correct"));
      var tip = choice.value ? self.params.feedbackTrue : self.params.feedbackFalse;
      if (tip) choice.label.appendChild(el("p", { class: "passage-q__tip" }, tip));
    });
  };

  PassageTrueFalse.prototype.markSolution = function () {
    var self = this;
    this.choices.forEach(function (choice) {
      if (choice.value === self.correct && !choice.input.checked) {
        self.itemFeedback(choice.label, "missed", self.t("rightAnswer", null, "Right answer"));
      }
    });
  };

  PassageTrueFalse.prototype.xapiDefinition = function () {
    var language = this.languageAndDirection().language || "und";
    var description = {};
    description[language] = String(this.params.question || "");
    return {
      type: "http://adlnet.gov/expapi/activities/cmi.interaction",
      interactionType: "true-false",
      description: description,
      correctResponsesPattern: [String(this.correct)],
    };
  };

  PassageTrueFalse.prototype.xapiResponse = function () {
    var answer = this.answer();
    return answer === null ? "" : String(answer);
  };

  H5P.PassageTrueFalse = PassageTrueFalse;
})(H5P);
