#include "idealgas/report/figures_sweep.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "idealgas/analyse/compressibility.hpp"
#include "idealgas/analyse/validation_checks.hpp"
#include "idealgas/core/file_stem.hpp"
#include "idealgas/core/error.hpp"
#include "grid_figure_parts.hpp"

namespace idealgas::report {

namespace {

// Samples per fitted curve along x.
constexpr int kCurvePoints = 80;
// Colours of single-line panels and of legend-only entries.
constexpr const char* kMeasuredColour = "#1f5fa8";
constexpr const char* kLegendColour = "#505050";

using RowValue = std::function<double(const StationaryRow&)>;

using Words = AxisWords;

Series legend_entry(const std::string& title, SeriesStyle style) {
  Series s;
  s.title = title;
  s.style = style;
  s.colour = kLegendColour;
  return s;
}

/// One panel of line families over the grid: x along one axis (or a function of the row), one line per value of
/// the other axis, coloured by it through a log colour bar.
struct Family {
  bool lines_over_second = true;  // one line per second-axis value, x from the first axis (else the reverse)
  RowValue x;                     // x of a row; empty: the axis value
  RowValue value, se;             // markers
  RowValue solid, dashed;         // lines through the grid points (predictions with measured inputs); may be empty
  std::function<double(double x, double line)> curve;  // a smooth dashed curve along x per line; may be empty
  Axis x_axis, y;
  std::string title;
  std::vector<Series> legend;
};

Panel family_panel(const GridTable& t, const Words& w, const Family& f) {
  Panel p;
  p.title = f.title;
  p.x = f.x_axis;
  p.y = f.y;
  p.key_position = "below";
  const std::vector<double> lines = axis_values(t, f.lines_over_second);
  const std::vector<double> along = axis_values(t, !f.lines_over_second);
  const bool coloured = lines.size() > 1;
  if (coloured) {
    // The colour bar's meaning goes into the title: in a grid of panels a colour-bar label would sit against the
    // next panel's y label.
    p.has_colour_bar = true;
    p.colour_bar.scale = ColourScale::log;
    p.title += "; colour: " + (f.lines_over_second ? w.second_label : w.first_label);
  }
  for (std::size_t l = 0; l < lines.size(); ++l) {
    auto row = [&](std::size_t k) -> const StationaryRow& {
      return f.lines_over_second ? t.at(static_cast<int>(k), static_cast<int>(l))
                                 : t.at(static_cast<int>(l), static_cast<int>(k));
    };
    auto x_of = [&](std::size_t k) { return f.x ? f.x(row(k)) : along[k]; };
    auto style = [&](Series& s) {
      if (coloured) s.colour_value = lines[l];
      else s.colour = kMeasuredColour;
    };
    for (const auto& [through, kind] : {std::pair{&f.solid, SeriesStyle::line}, std::pair{&f.dashed, SeriesStyle::dashed_line}}) {
      if (!*through) continue;
      Series s;
      s.style = kind;
      s.line_width = 1.5;
      style(s);
      for (std::size_t k = 0; k < along.size(); ++k) {
        s.x.push_back(x_of(k));
        s.y.push_back((*through)(row(k)));
      }
      p.series.push_back(std::move(s));
    }
    if (f.curve) {
      Series s;
      s.style = SeriesStyle::dashed_line;
      s.line_width = 1.5;
      style(s);
      const double lo = along.front(), hi = along.back();
      for (int k = 0; k < kCurvePoints; ++k) {
        const double x = std::exp(std::log(lo) + (std::log(hi) - std::log(lo)) * k / (kCurvePoints - 1));
        s.x.push_back(x);
        s.y.push_back(f.curve(x, lines[l]));
      }
      p.series.push_back(std::move(s));
    }
    Series m;
    m.style = SeriesStyle::points_with_error;
    m.marker_scale = 0.9;
    style(m);
    for (std::size_t k = 0; k < along.size(); ++k) {
      m.x.push_back(x_of(k));
      m.y.push_back(f.value(row(k)));
      m.y_se.push_back(f.se ? f.se(row(k)) : kNaN);
    }
    p.series.push_back(std::move(m));
  }
  for (const Series& s : f.legend) p.series.push_back(s);
  return p;
}

Figure figure_of(const std::string& name, const std::string& title, const std::string& caption,
                 const std::string& paper_panel, const std::string& section) {
  Figure fig;
  fig.name = name;
  fig.title = title;
  fig.caption = caption;
  fig.paper_panel = paper_panel;
  fig.section = section;
  return fig;
}

// ------------------------------------------------------------------------------------------------------ Fig. 2

Figure fig2(const AssembledGrid& g, const std::string& stem, const std::string& section) {
  const GridTable& t = g.table;
  const Words w = axis_words(t.protocol);
  const bool lr = t.protocol == Protocol::fixed_lr, sphere = t.protocol == Protocol::fixed_sphere;
  const Axis first_axis{w.first_label, true};
  const std::vector<Series> measured_legend = {legend_entry("measured ± SE", SeriesStyle::points_with_error)};
  Figure fig = figure_of(
      "fig2_" + stem, fmt::format("Fig. 2 ({}{}): noise, temperature, radius, loss and entropy over the grid", w.name,
                                  g.group.empty() ? "" : ", " + g.group),
      fmt::format(
          "The panels of the paper's Fig. 2 for this grid ({} × {} configurations; markers ± one SE, one colour per "
          "value of the hyperparameter on each colour bar). (a) σ² = Tr Σ(ŵ)/(d−1) against {}: the collapse onto one "
          "curve that the {} theory assumes (analysis.json sigma2_collapse tests it). (b) The temperature T = η_eff σ²/2 "
          "at each state's own η_eff (fixed LR: η/E[r²]) with the measured σ². (c) {} with {} (dashed, with the measured σ²). (d) The mean "
          "loss U. (e), (f) The entropy {} against each hyperparameter; dashed: the quadratic fit of V3 (paper "
          "Eq. 30), whose coefficients make Table 4.",
          t.n_first, t.n_second, lr ? "ηλ" : "η_eff", lr ? "fixed-LR Maxwell relation" : "ELR",
          sphere ? "The effective weight decay λ_eff" : "The stationary radius r*",
          sphere ? "its SDE prediction (d−1)T/r²" : "its SDE prediction",
          sphere ? "S(ρ_ŵ) (the sphere's fit is of the angular entropy)" : "S = S(ρ_ŵ) + (d−1) log r"),
      "Fig. 2a–f", section);
  fig.rows = 3;
  fig.columns = 2;
  fig.width_px = 1500;
  fig.height_px = 1800;

  Family a;
  a.x = lr ? RowValue([](const StationaryRow& r) { return r.eta * r.lambda; }) : RowValue();
  a.value = [](const StationaryRow& r) { return r.sigma2; };
  a.se = [](const StationaryRow& r) { return r.sigma2_se; };
  a.x_axis = {lr ? "η λ" : w.first_label, true};
  a.y = {"noise scale σ^2 = Tr Σ(ŵ)/(d−1)", true};
  a.title = lr ? "(a) σ^2 against ηλ (collapse)" : "(a) σ^2 against η_{eff} (collapse)";
  a.legend = measured_legend;
  fig.panels.push_back(family_panel(t, w, a));

  Family b;
  b.value = [](const StationaryRow& r) { return r.T; };
  b.se = [](const StationaryRow& r) { return r.T_se; };
  b.x_axis = first_axis;
  b.y = {"temperature T", true};
  b.title = "(b) temperature T";
  b.legend = measured_legend;
  fig.panels.push_back(family_panel(t, w, b));

  Family c;
  c.x_axis = first_axis;
  if (sphere) {
    c.value = [](const StationaryRow& r) { return r.lambda_eff; };
    c.se = [](const StationaryRow& r) { return r.lambda_eff_se; };
    c.dashed = [](const StationaryRow& r) { return r.lambda_eff_sde; };
    c.y = {"effective weight decay λ_{eff}", true};
    c.title = "(c) λ_{eff}, dashed: SDE";
  } else {
    c.value = [](const StationaryRow& r) { return r.r_mean; };
    c.se = [](const StationaryRow& r) { return r.r_se; };
    c.dashed = [](const StationaryRow& r) { return r.r_sde; };
    c.y = {"stationary radius r^*", true};
    c.title = "(c) radius r^*, dashed: SDE";
  }
  c.legend = {legend_entry("measured ± SE", SeriesStyle::points_with_error),
              legend_entry("SDE, measured σ^2", SeriesStyle::dashed_line)};
  fig.panels.push_back(family_panel(t, w, c));

  Family d;
  d.value = [](const StationaryRow& r) { return r.U; };
  d.se = [](const StationaryRow& r) { return r.U_se; };
  d.x_axis = first_axis;
  d.y = {"mean training loss U", true};
  d.title = "(d) mean loss U";
  d.legend = measured_legend;
  fig.panels.push_back(family_panel(t, w, d));

  // The quadratic fit of V3 (S_sphere on the sphere), drawn where it can be made.
  std::function<double(double, double)> fit_first, fit_second;
  try {
    const V3Result v3 = check_maxwell_relations(t);
    const std::vector<double> a_coef = v3.quadratic.coef;
    auto s_of = [a_coef](double first, double second) {
      const double x = std::log(first), y = std::log(second);
      return a_coef[0] + a_coef[1] * x + a_coef[2] * y + a_coef[3] * x * x + a_coef[4] * y * y + a_coef[5] * x * y;
    };
    fit_first = [s_of](double x, double line) { return s_of(x, line); };
    fit_second = [s_of](double x, double line) { return s_of(line, x); };
  } catch (const InputError&) {
    // too few values per axis: markers only (analysis.json says why)
  }
  const RowValue entropy = sphere ? RowValue([](const StationaryRow& r) { return r.S_sphere; })
                                  : RowValue([](const StationaryRow& r) { return r.S; });
  const RowValue entropy_se = sphere ? RowValue([](const StationaryRow& r) { return r.S_sphere_se; })
                                     : RowValue([](const StationaryRow& r) { return r.S_se; });
  const std::string s_label = sphere ? "angular entropy S(ρ_ŵ) [nats]" : "entropy S [nats]";
  std::vector<Series> fit_legend = {legend_entry("measured ± SE", SeriesStyle::points_with_error)};
  if (fit_first) fit_legend.push_back(legend_entry("quadratic fit (Eq. 30)", SeriesStyle::dashed_line));
  Family e;
  e.value = entropy;
  e.se = entropy_se;
  e.curve = fit_first;
  e.x_axis = first_axis;
  e.y = {s_label, false};
  e.title = fmt::format("(e) entropy against {}", w.first_symbol);
  e.legend = fit_legend;
  fig.panels.push_back(family_panel(t, w, e));
  Family f;
  f.lines_over_second = false;
  f.value = entropy;
  f.se = entropy_se;
  f.curve = fit_second;
  f.x_axis = {w.second_label, true};
  f.y = {s_label, false};
  f.title = fmt::format("(f) entropy against {}", w.second_symbol);
  f.legend = fit_legend;
  fig.panels.push_back(family_panel(t, w, f));
  return fig;
}

// ------------------------------------------------------------------------------------------------------ Fig. 13

Figure fig13(const AssembledGrid& g, const std::string& stem, const std::string& section) {
  const GridTable& t = g.table;
  const Words w = axis_words(t.protocol);
  const bool sphere = t.protocol == Protocol::fixed_sphere;
  Family f;
  f.x_axis = {w.first_label, true};
  if (sphere) {
    f.value = [](const StationaryRow& r) { return r.lambda_eff; };
    f.se = [](const StationaryRow& r) { return r.lambda_eff_se; };
    f.solid = [](const StationaryRow& r) { return r.lambda_eff_sde; };
    f.dashed = [](const StationaryRow& r) { return r.lambda_eff_discrete; };
    f.y = {"effective weight decay λ_{eff}", true};
  } else {
    f.value = [](const StationaryRow& r) { return r.r_mean; };
    f.se = [](const StationaryRow& r) { return r.r_se; };
    f.solid = [](const StationaryRow& r) { return r.r_sde; };
    f.dashed = [](const StationaryRow& r) { return r.r_discrete; };
    f.y = {"stationary radius r^*", true};
  }
  f.title = sphere ? "λ_{eff}: SDE (solid) and discrete-time (dashed) predictions"
                   : "r^*: SDE (solid) and discrete-time (dashed) predictions";
  f.legend = {legend_entry("measured ± SE", SeriesStyle::points_with_error), legend_entry("SDE", SeriesStyle::line),
              legend_entry("discrete time (App. H)", SeriesStyle::dashed_line)};
  Figure fig = figure_of(
      "fig13_" + stem, fmt::format("Fig. 13 ({}{}): {} against its SDE and discrete-time predictions", w.name,
                                   g.group.empty() ? "" : ", " + g.group, sphere ? "λ_eff" : "r*"),
      fmt::format("Measured {} (markers ± SE) against {}, one colour per {}, on the SDE prediction (solid) and the "
                  "discrete-time prediction of App. H (dashed), both from the run's own measured noise (Tr Σ and "
                  "‖∇L(ŵ)‖²). The SDE holds where the step is small; the discrete form should hold everywhere (V1).",
                  sphere ? "effective weight decay λ_eff" : "stationary radius r*", plain(w.first_label),
                  plain(w.second_label)),
      "Fig. 13", section);
  fig.width_px = 1000;
  fig.height_px = 700;
  fig.panels.push_back(family_panel(t, w, f));
  return fig;
}

// ------------------------------------------------------------------------------------------------------ Z map

Figure z_map(const AssembledGrid& g, const std::string& stem, const std::string& section) {
  const GridTable& t = g.table;
  const Words w = axis_words(t.protocol);
  ZMap z = z_map_panel(t, w);
  Figure fig = figure_of(
      "z_map_" + stem, fmt::format("Z map ({}{}): compressibility factor PV/(RT)", w.name,
                                   g.group.empty() ? "" : ", " + g.group),
      fmt::format("Z = PV/(RT), R = (d−1)/2, of every configuration (white: the ideal gas Z = 1; red above, blue "
                  "below), with T from the measured σ². {}",
                  z.n > 0 ? fmt::format("Mean Z {:.4f} over {} configurations; largest |Z − 1| {:.3g} ± {:.2g}; largest "
                                        "|Z − 1|/SE {:.3g}.",
                                        z.mean, z.n, z.max_dev, z.max_dev_se, z.max_sigmas)
                        : std::string("No configuration has a finite Z.")),
      "", section);
  fig.width_px = 820;
  fig.height_px = 700;
  fig.panels.push_back(std::move(z.panel));
  return fig;
}

}  // namespace

std::string figure_stem(const std::string& grid_name) { return file_stem(grid_name, kPortableNameChars); }

std::vector<Figure> sweep_grid_figures(const AssembledGrid& grid, const std::string& stem, const std::string& section) {
  return {fig2(grid, stem, section), fig13(grid, stem, section), z_map(grid, stem, section)};
}

Figure learning_curves_figure(const std::vector<LearningCurve>& curves, const std::string& colour_label,
                              const std::string& stem, const std::string& section) {
  IDEALGAS_ASSERT(!curves.empty(), "learning curves need a curve");
  struct Quantity {
    const char* title;
    const char* label;
    std::vector<double> LearningCurve::*values;
  };
  const Quantity quantities[] = {
      {"training loss (full batch)", "training loss", &LearningCurve::loss},
      {"radius ‖w‖", "radius r", &LearningCurve::radius},
      {"gradient noise Tr Σ(ŵ)", "Tr Σ(ŵ)", &LearningCurve::tr_sigma},
      {"full-gradient norm ‖∇L(ŵ)‖^2", "‖∇L(ŵ)‖^2", &LearningCurve::grad_norm_sq}};
  Figure fig = figure_of(
      "curves_" + stem, "Learning curves (App. I style): loss, radius, noise and gradient norm against iterations",
      fmt::format("One line per configuration ({}; colour bar), at the log points of each run (trace.csv): the "
                  "full-batch training loss, the radius, Tr Σ(ŵ) and ‖∇L(ŵ)‖² in unit-sphere units, log-log. A "
                  "stationary state is where all four level off; over-parameterised models at small learning rates "
                  "keep falling (paper App. I).",
                  plain(colour_label)),
      "App. I", section);
  fig.rows = 2;
  fig.columns = 2;
  fig.width_px = 1500;
  fig.height_px = 1150;
  bool coloured = false;
  for (const LearningCurve& c : curves) coloured = coloured || c.colour_value != curves.front().colour_value;
  for (const Quantity& q : quantities) {
    Panel p;
    p.title = q.title;
    p.x = {"iteration", true};
    p.y = {q.label, true};
    p.key_position = "below";
    if (coloured) {
      p.has_colour_bar = true;
      p.colour_bar.label = colour_label;
      p.colour_bar.scale = ColourScale::log;
    }
    for (const LearningCurve& c : curves) {
      Series s;
      s.style = SeriesStyle::line;
      s.line_width = 1.5;
      if (coloured) s.colour_value = c.colour_value;
      else s.colour = kMeasuredColour;
      s.x = c.iteration;
      s.y = c.*(q.values);
      s.y.resize(s.x.size(), kNaN);
      p.series.push_back(std::move(s));
    }
    fig.panels.push_back(std::move(p));
  }
  return fig;
}

}  // namespace idealgas::report
