/*
 * H5P.PassageQuestion: what Passage's own question types share (MIT, Passage contributors).
 *
 * Not runnable by itself. A question type calls `H5P.PassageQuestion.call(this, params,
 * contentId, extras)` and implements a few hooks:
 *
 *   renderBody(fieldset)      build the form controls inside the fieldset (after its legend)
 *   getScore(), getMaxScore() score of the current answers
 *   getAnswerGiven()          has the learner answered anything?
 *   readState() / writeState(state)   the learner's answers as a plain object, and back
 *   markAnswers(show)         per-item feedback after Check (show=false removes it)
 *   markSolution()            show the right answers
 *   setEnabled(enabled)       lock or unlock the controls
 *   xapiDefinition()          xAPI interaction definition (optional)
 *   xapiResponse()            xAPI result.response (optional)
 *
 * Every visible text comes from the content (params.l10n), so one library serves every
 * language. Text is always inserted as text, never as HTML: content is data, not markup.
 */
(function (H5P) {
  "use strict";

  var RTL = ["ar", "fa", "ps", "ur", "he", "yi", "dv", "ckb", "sd", "ug"];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function PassageQuestion(params, contentId, extras) {
    H5P.EventDispatcher.call(this);
    this.params = params || {};
    this.contentId = contentId;
    this.extras = extras || {};
    this.l10n = this.params.l10n || {};
    this.checked = false;
    this.solutionShown = false;
    this.completedSent = false;
    this.previousState = this.extras.previousState || null;
  }
  PassageQuestion.prototype = Object.create(H5P.EventDispatcher.prototype);
  PassageQuestion.prototype.constructor = PassageQuestion;
  PassageQuestion.el = el;

  /** A text of the content's l10n with :name placeholders filled in. */
  PassageQuestion.prototype.t = function (key, vars, fallback) {
    var text = this.l10n[key];
    if (typeof text !== "string") text = fallback !== undefined ? fallback : key;
    Object.keys(vars || {}).forEach(function (name) {
      text = text.split(":" + name).join(String(vars[name]));
    });
    return text;
  };

  /** Language and direction: the content's own, else whatever the page around says. */
  PassageQuestion.prototype.languageAndDirection = function () {
    var language = typeof this.params.language === "string" ? this.params.language : "";
    var dir = this.params.dir === "rtl" || this.params.dir === "ltr" ? this.params.dir : "";
    if (!dir && language) dir = RTL.indexOf(language.split("-")[0].toLowerCase()) >= 0 ? "rtl" : "ltr";
    return { language: language, dir: dir };
  };

  PassageQuestion.prototype.getTitle = function () {
    return (this.extras.metadata && this.extras.metadata.title) || this.params.question || "";
  };

  PassageQuestion.prototype.attach = function ($container) {
    var container = $container.get ? $container.get(0) : $container;
    var where = this.languageAndDirection();
    var root = el("div", { class: "passage-q " + (this.cssClass || "") });
    if (where.language) root.setAttribute("lang", where.language);
    if (where.dir) root.setAttribute("dir", where.dir);

    // A div, not a form: the player's sandbox (no allow-forms) blocks form submission, and
    // Check scores in the page anyway.
    var form = el("div", { class: "passage-q__form" });
    var fieldset = el("fieldset", { class: "passage-q__fieldset" });
    var legend = el("legend", { class: "passage-q__legend" }, this.legendText());
    fieldset.appendChild(legend);
    form.appendChild(fieldset);
    this.renderBody(fieldset);

    var buttons = el("div", { class: "passage-q__buttons" });
    this.checkButton = el("button", { type: "button", class: "passage-q__button passage-q__button--main" }, this.t("check", null, "Check"));
    this.retryButton = el("button", { type: "button", class: "passage-q__button" }, this.t("retry", null, "Try again"));
    this.solutionButton = el("button", { type: "button", class: "passage-q__button" }, this.t("showSolution", null, "Show solution"));
    buttons.appendChild(this.checkButton);
    buttons.appendChild(this.retryButton);
    buttons.appendChild(this.solutionButton);
    form.appendChild(buttons);

    // role=status: screen readers announce the score without moving focus.
    this.feedback = el("p", { class: "passage-q__feedback", role: "status", "aria-live": "polite" });
    form.appendChild(this.feedback);
    root.appendChild(form);
    container.textContent = "";
    container.classList.add("passage-q-host");
    container.appendChild(root);
    this.root = root;

    var self = this;
    this.checkButton.addEventListener("click", function () {
      self.check();
    });
    // Enter in a text field checks, as it would submit a form.
    fieldset.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.type === "text" && !self.checked) {
        event.preventDefault();
        self.check();
      }
    });
    this.retryButton.addEventListener("click", function () {
      self.resetTask();
      self.focusFirst();
    });
    this.solutionButton.addEventListener("click", function () {
      self.showSolutions();
    });
    fieldset.addEventListener("change", function () {
      self.setActivityStarted && self.setActivityStarted();
    });

    if (this.previousState && typeof this.previousState === "object") {
      this.writeState(this.previousState);
      if (this.previousState.checked && this.getAnswerGiven()) this.check({ silent: true });
    }
    this.updateButtons();
    this.trigger("resize");
  };

  PassageQuestion.prototype.legendText = function () {
    return this.params.question || "";
  };

  PassageQuestion.prototype.focusFirst = function () {
    var first = this.root && this.root.querySelector("input:not([disabled])");
    if (first) first.focus();
  };

  PassageQuestion.prototype.updateButtons = function () {
    var full = this.checked && this.getScore() === this.getMaxScore();
    this.checkButton.hidden = this.checked;
    this.retryButton.hidden = !this.checked || full;
    this.solutionButton.hidden = !this.checked || full || this.solutionShown;
  };

  /**
   * Score the answers, show per-item feedback and report through H5P's xAPI events.
   * `silent` (restoring a checked attempt) shows the feedback without reporting it again.
   */
  PassageQuestion.prototype.check = function (options) {
    var silent = options && options.silent;
    if (!this.getAnswerGiven()) {
      this.feedback.textContent = this.t("answerNotGiven", null, "Please answer first.");
      this.feedback.className = "passage-q__feedback passage-q__feedback--warning";
      this.trigger("resize");
      return;
    }
    this.checked = true;
    this.setEnabled(false);
    this.markAnswers(true);
    var score = this.getScore();
    var max = this.getMaxScore();
    var success = score === max;
    this.feedback.textContent =
      (success ? this.t("allCorrect", null, "All correct!") + " " : "") +
      this.t("score", { num: score, total: max }, "You got :num out of :total.");
    this.feedback.className = "passage-q__feedback " + (success ? "passage-q__feedback--success" : "passage-q__feedback--partial");
    this.updateButtons();
    this.trigger("resize");
    if (silent) {
      this.completedSent = success;
      return;
    }
    this.sendScored("answered", score, max, success);
    if (success) this.sendCompleted(score, max, true);
  };

  PassageQuestion.prototype.sendScored = function (verb, score, max, success) {
    var event = this.createXAPIEventTemplate(verb);
    var definition = this.xapiDefinition ? this.xapiDefinition() : null;
    var object = event.data.statement.object;
    if (definition && object) {
      object.definition = Object.assign({}, object.definition || {}, definition);
    }
    event.setScoredResult(score, max, this, true, success);
    if (this.xapiResponse) event.data.statement.result.response = this.xapiResponse();
    this.trigger(event);
  };

  /** The learner is done with this attempt: full score, or they asked for the solution. */
  PassageQuestion.prototype.sendCompleted = function (score, max, success) {
    if (this.completedSent) return;
    this.completedSent = true;
    this.sendScored("completed", score, max, success);
  };

  PassageQuestion.prototype.showSolutions = function () {
    if (!this.checked) {
      this.checked = true;
      this.markAnswers(true);
    }
    this.setEnabled(false);
    this.markSolution();
    this.solutionShown = true;
    this.updateButtons();
    this.trigger("resize");
    this.sendCompleted(this.getScore(), this.getMaxScore(), this.getScore() === this.getMaxScore());
  };

  PassageQuestion.prototype.resetTask = function () {
    this.checked = false;
    this.solutionShown = false;
    this.completedSent = false;
    this.markAnswers(false);
    this.writeState({});
    this.setEnabled(true);
    this.feedback.textContent = "";
    this.feedback.className = "passage-q__feedback";
    this.updateButtons();
    this.trigger("resize");
  };

  /** What H5P saves and gives back as `previousState`: the answers, plain data. */
  PassageQuestion.prototype.getCurrentState = function () {
    var state = this.readState();
    state.checked = this.checked;
    return state;
  };

  /** Per-item feedback: a visible word and a mark, never colour alone. */
  PassageQuestion.prototype.itemFeedback = function (holder, kind, text) {
    var old = holder.querySelector(".passage-q__mark");
    if (old) old.remove();
    holder.classList.remove("passage-q--right", "passage-q--wrong", "passage-q--missed");
    if (!kind) return;
    holder.classList.add("passage-q--" + kind);
    var mark = el("span", { class: "passage-q__mark passage-q__mark--" + kind });
    var symbol = { right: "\u2713", wrong: "\u2717", missed: "\u2192" }[kind];
    mark.appendChild(el("span", { "aria-hidden": "true", class: "passage-q__symbol" }, symbol));
    mark.appendChild(el("span", { class: "passage-q__mark-text" }, text));
    holder.appendChild(mark);
  };

  H5P.PassageQuestion = PassageQuestion;
})(H5P);
