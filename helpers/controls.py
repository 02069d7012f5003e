"""A slider a screen reader can name: the control of every slider app.

ipywidgets 8.1 draws its sliders with noUiSlider and gives the handle (``role="slider"``) no
accessible name, and no keyword of its Python API can add one. :class:`Slider` is a small
anywidget instead: a visible ``<label>``, a native ``<input type="range">`` carrying an
``aria-label`` and an ``aria-valuetext`` (the readout, so a log-scale slider is read as
"0.12", not as its position "-0.92"), and an ``<output>`` readout. The browser does the
dragging and the keyboard (arrows, Page Up/Down, Home/End), so it is operable without a mouse;
JupyterLab's own shortcuts are suppressed while it has the focus (Lumino's
``data-lm-suppress-shortcuts``), so the arrows move the slider, not the notebook's cursor.

Three scales, each made by one constructor: :func:`linear_slider`, :func:`log_slider`
(the position is ``log10(value)``, like ``ipywidgets.FloatLogSlider``) and :func:`choice_slider`
(one position per value of a list, like ``ipywidgets.SelectionSlider``). Widgets only: no
mathematics here.

Examples
--------
>>> lr = log_slider(0.12, 1e-3, 10.0, "lr", aria_label="learning rate lr")
>>> lr.value, lr.scale, lr.aria_label
(0.12, 'log', 'learning rate lr')
>>> lr.value = 50.0        # outside [min, max]: clipped, as ipywidgets sliders do
>>> lr.value
10.0
>>> pick = choice_slider([1e-4, 1e-3, 1e-2], 1e-3, "lr", labels=["1e-04", "0.001", "0.01"])
>>> pick.value = 2e-3      # snapped to the nearest choice
>>> pick.value
0.001
"""

from __future__ import annotations

import math
import re

import anywidget
import traitlets

__all__ = ["Slider", "linear_slider", "log_slider", "choice_slider"]

_ESM = r"""
function render({ model, el }) {
  const id = `course-slider-${Math.random().toString(36).slice(2)}`;
  el.classList.add("course-slider");
  const label = document.createElement("label");
  label.className = "course-slider-label";
  label.htmlFor = id;
  const input = document.createElement("input");
  input.type = "range";
  input.id = id;
  input.className = "course-slider-input";
  // The arrow keys move the thumb: JupyterLab's command-mode shortcuts (ArrowLeft/Right jump between
  // headings) would take them from any focused element that is not a text field.
  input.setAttribute("data-lm-suppress-shortcuts", "true");
  const readout = document.createElement("output");
  readout.className = "course-slider-readout";
  readout.setAttribute("for", id);
  el.append(label, input, readout);

  const log = () => model.get("scale") === "log";
  const choices = () => model.get("choices");
  const position = value => {
    const c = choices();
    if (c.length) {
      let best = 0;
      c.forEach((v, i) => { if (Math.abs(v - value) < Math.abs(c[best] - value)) best = i; });
      return best;
    }
    return log() ? Math.log10(value) : value;
  };
  const valueAt = p => {
    const c = choices();
    if (c.length) return c[Math.round(p)];
    return log() ? 10 ** p : p;
  };
  const text = value => {
    const c = choices(), labels = model.get("labels");
    if (c.length && labels.length) return labels[position(value)];
    const [, digits, kind] = /^\.(\d+)([fg])$/.exec(model.get("readout_format"));
    return kind === "f" ? value.toFixed(+digits) : String(Number(value.toPrecision(+digits)));
  };
  const show = value => {
    readout.textContent = text(value);
    input.setAttribute("aria-valuetext", readout.textContent);
  };
  const layout = () => {
    const c = choices();
    label.textContent = model.get("description");
    input.setAttribute("aria-label", model.get("aria_label") || model.get("description"));
    input.min = c.length ? 0 : position(model.get("min"));
    input.max = c.length ? c.length - 1 : position(model.get("max"));
    input.step = c.length ? 1 : model.get("step");
    input.value = position(model.get("value"));
    show(model.get("value"));
  };
  input.addEventListener("input", () => {
    const value = valueAt(Number(input.value));
    show(value);
    model.set("value", value);
    model.save_changes();
  });
  model.on("change:value", () => {
    input.value = position(model.get("value"));
    show(model.get("value"));
  });
  for (const name of ["description", "aria_label", "min", "max", "step", "scale", "choices", "labels",
                      "readout_format"])
    model.on(`change:${name}`, layout);
  layout();
}
export default { render };
"""

# Sized and coloured like an ipywidgets slider (JupyterLab's widget CSS variables).
_CSS = """
.course-slider { display: flex; align-items: center; gap: 6px; box-sizing: border-box;
  width: var(--jp-widgets-inline-width, 300px);
  height: var(--jp-widgets-inline-height, 28px); font-family: var(--jp-ui-font-family);
  font-size: var(--jp-widgets-font-size, 13px); color: var(--jp-widgets-label-color, inherit); }
.course-slider-label { flex: 0 0 var(--jp-widgets-inline-label-width, 80px); text-align: right;
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.course-slider-input { flex: 1 1 auto; min-width: 0; margin: 0 4px;
  accent-color: var(--jp-brand-color1, #1976d2); }
.course-slider-input:focus-visible { outline: 2px solid var(--jp-brand-color1, #1976d2); outline-offset: 2px; }
.course-slider-readout { flex: 0 0 auto; min-width: 3.5em; font-variant-numeric: tabular-nums; }
"""

_FORMAT = re.compile(r"\.\d+[fg]")


class Slider(anywidget.AnyWidget):
    """A horizontal slider with a visible label, an accessible name and a value readout.

    Make one with :func:`linear_slider`, :func:`log_slider` or :func:`choice_slider`. Read and
    set ``value`` as with an ipywidgets slider (``observe(..., names="value")`` sees every move
    while dragging); a value set from Python is clipped to ``[min, max]`` or snapped to the
    nearest of ``choices``.

    Attributes
    ----------
    value : float
    description : str
        The visible label.
    aria_label : str
        The name a screen reader announces ('' means ``description``).
    min, max : float
        The range of values (ignored when ``choices`` is set).
    step : float
        Step of the thumb: in values on the linear scale, in decades (powers of 10) on the log scale.
    scale : {'linear', 'log'}
    choices : list of float
        The values of a choice slider, increasing; empty for a continuous one.
    labels : list of str
        The readout of each choice.
    readout_format : str
        ``".Nf"`` (N decimals) or ``".Ng"`` (N significant digits).
    """

    _esm = _ESM
    _css = _CSS
    value = traitlets.Float(0.0).tag(sync=True)
    description = traitlets.Unicode("").tag(sync=True)
    aria_label = traitlets.Unicode("").tag(sync=True)
    min = traitlets.Float(0.0).tag(sync=True)
    max = traitlets.Float(1.0).tag(sync=True)
    step = traitlets.Float(0.01).tag(sync=True)
    scale = traitlets.Enum(["linear", "log"], default_value="linear").tag(sync=True)
    choices = traitlets.List(traitlets.Float()).tag(sync=True)
    labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    readout_format = traitlets.Unicode(".3g").tag(sync=True)

    @traitlets.validate("value")
    def _keep_in_range(self, proposal):
        value = float(proposal["value"])
        if self.choices:
            return min(self.choices, key=lambda choice: abs(choice - value))
        return min(max(value, self.min), self.max)


def _check_text(value, name):
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _check_number(value, name, positive=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _check_range(lo, hi, positive=False):
    lo, hi = _check_number(lo, "lo", positive), _check_number(hi, "hi", positive)
    if not lo < hi:
        raise ValueError(f"lo must be below hi, got lo={lo!r}, hi={hi!r}")
    return lo, hi


def _check_format(fmt):
    if not isinstance(fmt, str) or not _FORMAT.fullmatch(fmt):
        raise ValueError(f"readout_format must be '.Nf' or '.Ng' (e.g. '.3g'), got {fmt!r}")
    return fmt


def _made(slider, value, layout):
    """Set the value after the range (so it is clipped against the right one) and the layout."""
    import ipywidgets as widgets

    slider.value = value
    slider.layout = widgets.Layout(width=layout) if layout else widgets.Layout()
    return slider


def linear_slider(value, lo, hi, step, description, *, aria_label="", readout_format=".2f",
                  width=None) -> Slider:
    """A slider over ``[lo, hi]`` in steps of ``step``.

    Examples
    --------
    >>> s = linear_slider(0.3, 0.05, 1.2, 0.05, "lr")
    >>> s.value, s.min, s.max, s.step, s.readout_format
    (0.3, 0.05, 1.2, 0.05, '.2f')
    >>> linear_slider(0.3, 1.2, 0.05, 0.05, "lr")
    Traceback (most recent call last):
    ...
    ValueError: lo must be below hi, got lo=1.2, hi=0.05
    """
    lo, hi = _check_range(lo, hi)
    slider = Slider(description=_check_text(description, "description"), aria_label=aria_label,
                    min=lo, max=hi, step=_check_number(step, "step", positive=True),
                    readout_format=_check_format(readout_format))
    return _made(slider, _check_number(value, "value"), width)


def log_slider(value, lo, hi, description, *, step=0.01, aria_label="", readout_format=".3g",
               width=None) -> Slider:
    """A slider over ``[lo, hi]`` on a log scale: ``step`` is in decades (0.01: 1/100 of a power of 10).

    Examples
    --------
    >>> s = log_slider(20.0, 0.2, 50.0, "f''", aria_label="curvature f''")
    >>> s.value, s.scale, s.step
    (20.0, 'log', 0.01)
    >>> log_slider(1.0, 0.0, 10.0, "lr")
    Traceback (most recent call last):
    ...
    ValueError: lo must be a positive number, got 0.0
    """
    lo, hi = _check_range(lo, hi, positive=True)
    slider = Slider(description=_check_text(description, "description"), aria_label=aria_label,
                    min=lo, max=hi, step=_check_number(step, "step", positive=True), scale="log",
                    readout_format=_check_format(readout_format))
    return _made(slider, _check_number(value, "value", positive=True), width)


def choice_slider(choices, value, description, *, labels=None, aria_label="", readout_format=".3g",
                  width=None) -> Slider:
    """A slider with one position per value of ``choices`` (increasing); ``labels`` are the readouts.

    Examples
    --------
    >>> s = choice_slider([0.1, 0.2, 0.4], 0.2, "lr")
    >>> s.value, s.choices
    (0.2, [0.1, 0.2, 0.4])
    >>> choice_slider([0.2, 0.1], 0.2, "lr")
    Traceback (most recent call last):
    ...
    ValueError: choices must be at least two increasing finite numbers, got [0.2, 0.1]
    """
    values = [_check_number(c, "choices") for c in choices]
    if len(values) < 2 or any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"choices must be at least two increasing finite numbers, got {list(choices)!r}")
    labels = [] if labels is None else [_check_text(text, "labels") for text in labels]
    if labels and len(labels) != len(values):
        raise ValueError(f"labels must hold one text per choice ({len(values)}), got {len(labels)}")
    slider = Slider(description=_check_text(description, "description"), aria_label=aria_label,
                    min=values[0], max=values[-1], choices=values, labels=labels,
                    readout_format=_check_format(readout_format))
    return _made(slider, _check_number(value, "value"), width)
