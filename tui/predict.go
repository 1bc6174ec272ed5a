package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/kubetutor/kubetutor/lessons"
)

// predictText is the player's wording around a step's prediction (lessons.Predict).
type predictText struct {
	Ask, Answer, Pick, Right, Wrong, Showed, NotYet string
	// Key asks for the number key (fmt: choices) and Waiting holds the answer until the
	// step's commands ran (fmt: the choice), in the full-screen player.
	Key, Waiting string
}

var predictTexts = map[string]predictText{
	"en": {
		Ask:     "Predict before you run the commands: %s",
		Answer:  "your prediction (1-%d): ",
		Pick:    "Type a number from 1 to %d.",
		Right:   "You predicted %q: right. %s",
		Wrong:   "You predicted %q: not what happens. The answer is %q: %s",
		Showed:  "What the watch showed:",
		NotYet:  "(not seen yet)",
		Key:     "Press a number key, 1 to %d, to answer.",
		Waiting: "Your prediction: %s. Run the step's commands to see.",
	},
	"ko": {
		Ask:     "명령을 실행하기 전에 예측해 보자: %s",
		Answer:  "예측(1-%d): ",
		Pick:    "1부터 %d까지 숫자를 입력하자.",
		Right:   "예측 %q: 맞았다. %s",
		Wrong:   "예측 %q: 실제와 다르다. 정답은 %q. %s",
		Showed:  "감시 창에서 본 것:",
		NotYet:  "(아직 보이지 않음)",
		Key:     "1부터 %d까지 숫자 키를 눌러 답하자.",
		Waiting: "예측: %s. 단계의 명령을 실행해서 확인하자.",
	},
}

func predictTextFor(lang string) predictText {
	if t, ok := predictTexts[lessons.NormalizeLang(lang)]; ok {
		return t
	}
	return predictTexts["en"]
}

// askPrediction shows a step's prediction question and reads the learner's choice (0-based);
// -1 when input ended.
func (p *plainPlayer) askPrediction(pr *lessons.Predict, read func(string) (string, bool)) int {
	pt := predictTextFor(p.o.Lang)
	p.say(pt.Ask, plainText(pr.Question))
	for i, c := range pr.Choices {
		p.say("  %d) %s", i+1, plainText(c.Text))
	}
	for {
		line, ok := read(fmt.Sprintf(pt.Answer, len(pr.Choices)))
		if !ok {
			return -1
		}
		if n, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && n >= 1 && n <= len(pr.Choices) {
			return n - 1
		}
		p.say(pt.Pick, len(pr.Choices))
	}
}

// revealPrediction says whether the learner's choice was right and what the watch showed:
// the prediction's confirm checks, evaluated against the step's baseline.
func (p *plainPlayer) revealPrediction(ctx context.Context, s lessons.Step, choice int) {
	pr := s.Predict
	pt := predictTextFor(p.o.Lang)
	right := pr.Correct()
	if choice == right {
		p.say(pt.Right, plainText(pr.Choices[choice].Text), plainText(pr.Choices[choice].Why))
	} else if right >= 0 {
		p.say(pt.Wrong, plainText(pr.Choices[choice].Text), plainText(pr.Choices[right].Text), plainText(pr.Choices[right].Why))
	}
	if p.o.Evaluate == nil || len(pr.Confirm) == 0 {
		return
	}
	res := p.o.Evaluate(ctx, s.ConfirmStep())
	if len(res) < len(s.Checks)+len(pr.Confirm) {
		return
	}
	p.say("%s", pt.Showed)
	for _, r := range res[len(s.Checks):] {
		if r.OK {
			p.say("  ✓ %s", plainText(r.Desc))
		} else {
			p.say("  ○ %s %s", plainText(r.Desc), pt.NotYet)
		}
	}
}
