"""docs/holdout.md from the replay outcomes (run_holdout.py's JSON) and the judgements below, made by
reading each message in full: python tests/mistakes_holdout/report.py /tmp/holdout.json docs/holdout.md"""
import json
import sys
from collections import OrderedDict

# (part, my key) -> note, for caught mistakes whose message only reports a symptom (or misdiagnoses).
SYMPTOM = {
    ("central_difference", "points_offset_not_centred"): "",
    ("relative_error", "floor_only_when_zero"): "",
    ("cauchy_loss_grad", "integer_in_place_division"): "the bare UFuncTypeError, no hint",
    ("cauchy_loss_grad", "dot_product_for_square"): "",
    ("cauchy_loss_grad", "unstable_rewrite_at_zero"): "reports the divide-by-zero warning only",
    ("numerical_gradient", "moves_on_a_copy"): "all zeros; guesses an `xp = x` alias, which is not the cause",
    ("sin_square_derivative", "cos_squared_not_cos_of_square"): "",
    ("sin_square_derivative", "outer_at_inner_derivative"): "",
    ("chain_forward", "shared_mutable_default"): "says the inputs list has the wrong length",
    ("chain_backward", "upstream_not_chained"): "",
    ("mul_const_gate", "divided_by_constant"): "",
    ("max_gate", "boolean_index_shape"): "",
    ("max_gate", "np_max_vs_maximum"): "the bare TypeError",
    ("branch", "cache_order_swapped"): "the bare ValueError",
    ("branch", "wrong_cache_for_exp"): "",
    ("simple_example", "return_order"): "first line wrongly blames add_forward (†)",
    ("simple_example", "starts_from_output_value"): "first line wrongly blames add_forward (†)",
    ("neuron_gates", "caches_of_the_two_multiplies_swapped"): "first line wrongly blames add_forward (†)",
    ("neuron_gates", "bias_is_w1"): "'forward value f is wrong' at a point with w1 != w2; first line blames add_forward (†)",
    ("sigmoid", "input_clipped"): "wrong value at x = -1000 (informative, not named)",
    ("sigmoid_backward", "precedence"): "",
    ("sigmoid_backward", "cache_indexed_as_tuple"): "",
    ("neuron_shortcut", "starts_from_output_value"): "first line wrongly blames add_forward (†)",
    ("neuron_shortcut", "bias_skipped_in_sigmoid"): "'forward value f is wrong'; first line blames add_forward (†)",
    ("sigmoid_jacobian", "softmax_jacobian_for_sigmoid"): "",
    ("sigmoid_jacobian", "unstable_sigmoid"): "reports the overflow warning only",
    ("sigmoid_jacobian", "derivative_at_output"): "localises it (diagonal only), does not name it",
    ("linear_jacobian", "multiplied_by_x"): "",
    ("row_linear_jacobian", "multiplied_by_x"): "",
    ("row_linear_jacobian", "loop_indices_swapped"): "the bare IndexError",
    ("network_jacobian", "forward_skips_activation"): "",
    ("network_jacobian", "wrong_bias"): "",
    ("sigmoid_vjp", "arguments_swapped"): "",
    ("linear_vjp", "summed_wrong_axis"): "",
    ("linear_vjp", "returned_weight_gradient"): "",
    ("linear_vjp", "inverse_instead_of_transpose"): "",
    ("row_linear_vjp", "dW_uses_dx"): "",
    ("softmax_vjp", "second_term_missing_s"): "",
    ("softmax_vjp", "cross_entropy_shortcut"): "",
    ("residual_vjp", "vjp_order_reversed"): "",
    ("residual_vjp", "skip_added_inside"): "",
    ("network_vjp", "forward_skips_activation"): "",
    ("wx_norm", "elementwise_not_outer"): "",
    ("sigmoid_neuron", "bias_added_per_input"): "'y is off by a constant factor', which is not what happened",
    ("sigmoid_neuron", "dw_dx_same_array"): "misdiagnosed: says dw is computed as w_p delta; the code computes x_p delta into an array shared with dx",
    ("loss", "log_base_10"): "'0.4343 times the right value' (log10 e), not named",
    ("delta_sigmoid_mse", "target_in_derivative"): "",
    ("delta_sigmoid_mse", "precedence"): "",
    ("delta_softmax_ce", "target_ignored"): "",
    ("hidden_delta", "dy_summed_again"): "",
    ("hidden_delta", "added_not_multiplied"): "",
    ("hidden_delta", "tanh_derivative"): "",
    ("backward_loops", "hidden_inputs_wrong"): "",
    ("batch_gradients", "iterator_exhausted"): "'L is all zeros'; guesses the zeros were returned untouched",
    ("dz_from_deltas", "divided_by_size"): "",
}
# Caught and named, but the message's first line blames another (correct) function first.
NAMED_NOTE = {
    ("simple_example", "argument_order_mismatch"): "named in the body; first line wrongly blames add_forward (†)",
    ("neuron_gates", "w_and_x_swapped"): "named in the body; first line wrongly blames add_forward (†)",
    ("network_jacobian", "row_convention_jacobian"): "named in the body; first line blames chain_jacobian (it raised on the learner's mismatched shapes)",
    ("central_difference", "step_scaled_by_x"): "right fix (use h as given); its '(it matches h = 1e-5)' is not accurate",
    ("numerical_jacobian", "integer_step"): "",
    ("chain_jacobian", "identity_wrong_size"): "generic first line, but its hint line names the identity's size",
    ("exp_gate", "math_exp_on_arrays"): "the exception, with a hint line naming math vs numpy",
    ("add_gate", "one_gradient_for_two_inputs"): "generic key, but the message says exactly what to return",
}
# Missed mistakes: why each is a real mistake (checked by hand), and whether it is arguably benign here.
MISSED = {
    ("convergence_order", "signed_errors"): "real: the notebook's own demo (central, h = 1e-7) gives nan and a RuntimeWarning",
    ("chain_forward", "cache_holds_global_chain"): "real: chain_backward on that cache uses CHAIN's derivatives for another chain; the chain_backward check does not catch it either",
    ("add_gate", "gradients_alias_dout"): "arguably benign here: the hint asks for two new arrays",
    ("mul_gate", "fails_on_numbers"): "real: AttributeError on floats; surfaces in Exercise 12 as an exception whose first line blames add_forward",
    ("mul_gate", "integer_gradient_array"): "real but latent: integer inputs with a fractional dout truncate (dx = [1, 2] for [1.5, 2.5])",
    ("exp_gate", "input_clipped"): "real: exp(60) comes out as exp(50); no check tries |x| > 50",
    ("reciprocal_gate", "integer_reciprocal"): "real but latent: np.reciprocal([2, 4]) is [0, 0]; no check passes integers",
    ("reciprocal_gate", "negative_power_of_integers"): "real but latent: ValueError on integer arrays; no check passes integers",
    ("add_const_gate", "dx_aliases_dout"): "arguably benign here",
    ("numerical_jacobian", "output_not_array"): "arguably not a mistake: the exercise promises f returns an array",
    ("linear_jacobian", "returns_caller_array"): "arguably benign: the hint asks for a copy",
    ("row_linear_jacobian", "returns_view"): "arguably benign: the hint asks for a copy",
    ("softmax", "shift_by_max_abs"): "real: scores all near -1000 give nan (0/0) with a warning; softmax_jacobian and softmax_vjp do not catch it either",
    ("layer_backward", "db_aliases_delta"): "arguably benign here: nothing in the course writes into db afterwards",
}

TITLES = OrderedDict([("00_finite_differences", "00 · Finite differences"), ("01_chain_rule", "01 · The chain rule"),
                      ("02_jacobian", "02 · Jacobians and VJPs"), ("03_scalar_backprop", "03 · Scalar backprop")])


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def main(src, out):
    rows = json.loads(open(src, encoding="utf-8").read())
    lines = ["# A blind second catalog of learner mistakes (issue 18)", "",
             "Written by a new teaching assistant from the learner's notebooks only (exercise text, docstrings, "
             "hints), before reading `tests/mistakes/`, `docs/mistakes.md`, `tests/checks/test_checks_*.py` or the checks' "
             "catalogs. The mistakes are whole answer cells in `tests/mistakes_holdout/<NN_topic>.py` (the `Mistake` "
             "format of `tests/mistakes/__init__.py`), chosen to differ in kind from the slips the hints already "
             "name. `python tests/mistakes_holdout/run_holdout.py out.json` replays them with `mistakes.replay` "
             "(hidden tests included); `report.py` writes this page.", "",
             "**Judgement**, made by reading each whole message: *named* = it tells the learner what to fix, "
             "specific to the mistake (a different but correct diagnosis counts); *symptom* = it only says that "
             "something is wrong (wrong values, a shape, a bare exception or warning, or a diagnosis that does not "
             "fit the code); *missed* = the part passed. The check's key is shown as returned; my key is what a "
             "precise check should have said.", "",
             "(†) The first line of every failure of Exercises 12, 13 and 16 of notebook 01 reads *\"this failure "
             "points to add_forward, whose check passed: ... it returned nan or inf\"*, although add_forward is "
             "right: `autograder.checks._finite` converts the cache `None` of `add_forward` (and `add_const_forward`) "
             "with `np.asarray(None, dtype=float64)`, which is `nan`. The messages' bodies are judged here; the "
             "misleading first line is noted.", ""]
    totals = []
    for assignment, title in TITLES.items():
        part_rows = [r for r in rows if r["assignment"] == assignment]
        counts = dict(written=len(part_rows), caught=0, named=0, symptom=0, missed=0)
        lines += [f"## {title}", "", "| part | mistake (my key) | caught | judgement | check's key | message's first line | note |",
                  "|---|---|---|---|---|---|---|"]
        for r in part_rows:
            ident = (r["part"], r["my_key"])
            if not r["caught"]:
                verdict, note = "missed", MISSED.get(ident, "")
                assert ident in MISSED, ident
            elif ident in SYMPTOM:
                verdict, note = "symptom", SYMPTOM[ident]
            else:
                verdict, note = "named", NAMED_NOTE.get(ident, "")
            counts[verdict] += 1
            counts["caught"] += bool(r["caught"])
            first = r["first_line"].removeprefix("CheckFailed: ")
            if len(first) > 220:
                first = first[:217] + "..."
            lines.append(f"| {r['part']} | {cell(r['what'])} (`{r['my_key']}`) | {'yes' if r['caught'] else 'no'} | "
                         f"{verdict} | {('`' + r['key'] + '`') if r['key'] else ''} | {cell(first)} | {cell(note)} |")
        lines += ["", f"**Totals, {title}:** {counts['written']} written, {counts['caught']} caught, "
                      f"{counts['named']} named, {counts['symptom']} symptom only, {counts['missed']} missed.", ""]
        totals.append((title, counts))
    lines += ["## Totals", "", "| notebook | written | caught | named | symptom only | missed |", "|---|---|---|---|---|---|"]
    sums = dict(written=0, caught=0, named=0, symptom=0, missed=0)
    for title, c in totals:
        lines.append(f"| {title} | {c['written']} | {c['caught']} | {c['named']} | {c['symptom']} | {c['missed']} |")
        for k in sums:
            sums[k] += c[k]
    lines.append(f"| **all four** | **{sums['written']}** | **{sums['caught']}** | **{sums['named']}** | "
                 f"**{sums['symptom']}** | **{sums['missed']}** |")
    benign = sum(1 for note in MISSED.values() if note.startswith("arguably"))
    lines += ["", f"Caught {sums['caught']} of {sums['written']} ({100 * sums['caught'] / sums['written']:.0f}%); "
                  f"named {sums['named']} of {sums['written']} ({100 * sums['named'] / sums['written']:.0f}%), "
                  f"{100 * sums['named'] / sums['caught']:.0f}% of those caught. Of the {sums['missed']} misses, "
                  f"{benign} are arguably benign in this course (aliases of an argument returned, or an f that "
                  f"returns a list); the other {sums['missed'] - benign} are real (see their notes).", ""]
    open(out, "w", encoding="utf-8").write("\n".join(lines))
    print(sums)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
