#include "idealgas/report/figures_iso.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "idealgas/analyse/compressibility.hpp"
#include "idealgas/analyse/validation_checks.hpp"
#include "idealgas/theory/ideal_gas.hpp"
#include "grid_figure_parts.hpp"

namespace idealgas::report {

namespace {

// Samples per theory line: smooth at the page's size, and cheap (each is one closed-form evaluation).
constexpr int kTheoryPoints = 120;

// Fixed colours: measurements, theory, and the heat-map markers (white shows on every viridis colour).
constexpr const char* kMeasuredColour = "#1f5fa8";
constexpr const char* kTheoryColour = "#c0392b";
constexpr const char* kLegendColour = "#505050";
constexpr const char* kReferenceMarkerColour = "#ffffff";
constexpr const char* kArgminMarkerColour = "#ff2a2a";

using RowValue = std::function<double(const StationaryRow&)>;
using TheoryValue = std::function<double(double first, double second)>;

// What changes between protocols in the figures' words: the axes', and the paper's figure, the page section and
// the natural potential.
struct ProtocolWords : AxisWords {
  std::string figure;     // "Fig. 1"
  std::string section;    // page section heading
  std::string potential;  // "G" or "F"
};

ProtocolWords words_for(Protocol p) {
  switch (p) {
    case Protocol::fixed_lr: return {axis_words(p), "Fig. 1", iso_section_heading(p), "G"};
    case Protocol::fixed_elr: return {axis_words(p), "Fig. 4", iso_section_heading(p), "G"};
    case Protocol::fixed_sphere: return {axis_words(p), "Fig. 3", iso_section_heading(p), "F"};
  }
  return {};
}

std::string num(double v) { return fmt::format("{:.3g}", v); }

struct Context {
  const IsoProtocolRun& run;
  const GridTable& table;
  Protocol protocol;
  ProtocolWords words;
  std::string stem;  // file-name prefix, e.g. "fig1"
  std::vector<double> first, second;  // axis values: [n_first], [n_second]
};


theory::StationaryState predict(const Context& c, double first, double second) {
  theory::StationaryInputs in;
  in.d = c.table.d;
  in.sigma2 = c.table.rows.front().sigma2;  // the isotropic model: one sigma2 for the whole grid
  switch (c.protocol) {
    case Protocol::fixed_lr: in.eta = first, in.lambda = second; break;
    case Protocol::fixed_elr: in.eta_eff = first, in.lambda = second; break;
    case Protocol::fixed_sphere: in.eta_eff = first, in.radius = second; break;
  }
  return theory::stationary_state(c.protocol, in);
}

std::vector<double> log_samples(double lo, double hi) {
  std::vector<double> out(kTheoryPoints);
  for (int k = 0; k < kTheoryPoints; ++k)
    out[k] = std::pow(10.0, std::log10(lo) + (std::log10(hi) - std::log10(lo)) * k / (kTheoryPoints - 1));
  return out;
}

int nearest_in_log(const std::vector<double>& values, double target) {
  int best = 0;
  for (int k = 1; k < static_cast<int>(values.size()); ++k)
    if (std::abs(std::log(values[k] / target)) < std::abs(std::log(values[best] / target))) best = k;
  return best;
}

Series legend_entry(const std::string& title, SeriesStyle style) {
  Series s;
  s.title = title;
  s.style = style;
  s.colour = kLegendColour;
  return s;
}

ColourBar log_bar(const std::string& label) {
  ColourBar bar;
  bar.label = label;
  bar.scale = ColourScale::log;
  return bar;
}

// ------------------------------------------------------------------------------------------------------
// Line families: one line per value of one axis, the other axis along x.

struct Family {
  bool x_is_second = true;    // x = second axis (lambda or r), one line per first-axis value; else the reverse
  RowValue value, se;         // markers: measured ± SE
  TheoryValue theory;         // solid line, sampled densely along x; may be empty
  RowValue row_line;          // dashed line through the grid points (predictions with measured inputs); may be empty
  Axis y;
  std::string title;
  std::string key_position = "below";  // outside the frame: a legend never hides a marker
  std::vector<Series> legend;  // legend-only entries
};

Panel family_panel(const Context& c, const Family& f) {
  const GridTable& t = c.table;
  Panel p;
  p.title = f.title;
  p.x = {f.x_is_second ? c.words.second_label : c.words.first_label, true};
  p.y = f.y;
  p.has_colour_bar = true;
  p.colour_bar = log_bar(f.x_is_second ? c.words.first_label : c.words.second_label);
  p.key_position = f.key_position;
  const std::vector<double>& xs = f.x_is_second ? c.second : c.first;
  const std::vector<double>& lines = f.x_is_second ? c.first : c.second;
  for (std::size_t l = 0; l < lines.size(); ++l) {
    auto row = [&](std::size_t k) -> const StationaryRow& {
      return f.x_is_second ? t.at(static_cast<int>(l), static_cast<int>(k)) : t.at(static_cast<int>(k), static_cast<int>(l));
    };
    if (f.theory) {
      Series s;
      s.style = SeriesStyle::line;
      s.colour_value = lines[l];
      for (double x : log_samples(xs.front(), xs.back())) {
        s.x.push_back(x);
        s.y.push_back(f.x_is_second ? f.theory(lines[l], x) : f.theory(x, lines[l]));
      }
      p.series.push_back(std::move(s));
    }
    if (f.row_line) {
      Series s;
      s.style = SeriesStyle::dashed_line;
      s.line_width = 1.5;
      s.colour_value = lines[l];
      for (std::size_t k = 0; k < xs.size(); ++k) {
        s.x.push_back(xs[k]);
        s.y.push_back(f.row_line(row(k)));
      }
      p.series.push_back(std::move(s));
    }
    Series m;
    m.style = SeriesStyle::points_with_error;
    m.marker_scale = 0.9;
    m.colour_value = lines[l];
    for (std::size_t k = 0; k < xs.size(); ++k) {
      m.x.push_back(xs[k]);
      m.y.push_back(f.value(row(k)));
      m.y_se.push_back(f.se(row(k)));
    }
    p.series.push_back(std::move(m));
  }
  for (const Series& s : f.legend) p.series.push_back(s);
  return p;
}

Figure single(const Context& c, const std::string& suffix, const std::string& title, const std::string& caption,
              const std::string& panel, Panel p) {
  Figure fig;
  fig.name = c.stem + suffix;
  fig.title = title;
  fig.caption = caption;
  fig.paper_panel = panel;
  fig.section = c.words.section;
  fig.width_px = 1000;
  fig.height_px = 680;
  fig.panels.push_back(std::move(p));
  return fig;
}

// ------------------------------------------------------------------------------------------------------
// (a): U and S(rho_w_hat) along one axis at the paper's slice, with the exact VMF predictions.

Figure panel_a(const Context& c) {
  const GridTable& t = c.table;
  // lr: along lambda at eta = 1e-2; elr: along eta_eff at lambda = 1e-2; sphere: along eta_eff at r = 1.
  const bool along_second = c.protocol == Protocol::fixed_lr;
  const int fixed = along_second ? nearest_in_log(c.first, kPaperSliceEta)
                                 : nearest_in_log(c.second, c.protocol == Protocol::fixed_elr ? kPaperSliceLambda
                                                                                               : kPaperSliceRadius);
  const double fixed_value = along_second ? c.first[fixed] : c.second[fixed];
  const std::string fixed_symbol = along_second ? c.words.first_symbol : c.words.second_symbol;
  const std::vector<double>& xs = along_second ? c.second : c.first;
  const std::string x_label = along_second ? c.words.second_label : c.words.first_label;
  auto row = [&](std::size_t k) -> const StationaryRow& {
    return along_second ? t.at(fixed, static_cast<int>(k)) : t.at(static_cast<int>(k), fixed);
  };
  auto state = [&](double x) { return along_second ? predict(c, fixed_value, x) : predict(c, x, fixed_value); };

  auto make_panel = [&](const std::string& title, const Axis& y, RowValue value, RowValue se,
                        std::function<double(const theory::StationaryState&)> theory, const std::string& key) {
    Panel p;
    p.title = title;
    p.x = {x_label, true};
    p.y = y;
    p.key_position = key;
    Series line;
    line.title = "exact VMF theory";
    line.style = SeriesStyle::line;
    line.colour = kTheoryColour;
    for (double x : log_samples(xs.front(), xs.back())) {
      line.x.push_back(x);
      line.y.push_back(theory(state(x)));
    }
    Series m;
    m.title = "measured ± SE";
    m.style = SeriesStyle::points_with_error;
    m.colour = kMeasuredColour;
    m.marker_scale = 1.2;
    for (std::size_t k = 0; k < xs.size(); ++k) {
      m.x.push_back(xs[k]);
      m.y.push_back(value(row(k)));
      m.y_se.push_back(se(row(k)));
    }
    p.series = {line, m};
    return p;
  };
  const std::string at = fmt::format("{} = {}", fixed_symbol, num(fixed_value));
  Figure fig;
  fig.name = c.stem + "a_loss_entropy";
  fig.title = fmt::format("{}a ({}): mean loss U and angular entropy S(ρ_ŵ) at {} = {}", c.words.figure,
                          c.words.name, plain(fixed_symbol), num(fixed_value));
  fig.caption = fmt::format(
      "Stationary mean loss U (left) and entropy of the direction ŵ on the unit sphere S(ρ_ŵ) (right) against {} "
      "at {} = {}, measured (markers, ± one standard error: batch means for U, spread of the last entropy "
      "estimates for S) on the exact von Mises-Fisher predictions at the protocol's temperature T (lines). "
      "Columns U, U_se, S_sphere, S_sphere_se of summary.csv.",
      plain(x_label), plain(fixed_symbol), num(fixed_value));
  fig.paper_panel = c.words.figure + "a";
  fig.section = c.words.section;
  fig.columns = 2;
  fig.width_px = 1500;
  fig.height_px = 620;
  fig.panels.push_back(make_panel(fmt::format("mean loss U, {}", at), {"mean loss U", true},
                                  [](const StationaryRow& r) { return r.U; },
                                  [](const StationaryRow& r) { return r.U_se; },
                                  [](const theory::StationaryState& s) { return s.U; }, "below"));
  fig.panels.push_back(make_panel(fmt::format("angular entropy S(ρ_ŵ), {}", at),
                                  {"entropy on the unit sphere S(ρ_ŵ) [nats]", false},
                                  [](const StationaryRow& r) { return r.S_sphere; },
                                  [](const StationaryRow& r) { return r.S_sphere_se; },
                                  [](const theory::StationaryState& s) { return s.S_sphere; }, "below"));
  return fig;
}

// ------------------------------------------------------------------------------------------------------
// (b): r* against lambda per eta (lr, elr); lambda_eff against r per eta_eff (sphere).

Figure panel_b(const Context& c) {
  Family f;
  f.x_is_second = true;
  f.legend = {legend_entry("measured ± SE", SeriesStyle::points_with_error),
              legend_entry("SDE theory", SeriesStyle::line)};
  if (c.protocol == Protocol::fixed_sphere) {
    f.value = [](const StationaryRow& r) { return r.lambda_eff; };
    f.se = [](const StationaryRow& r) { return r.lambda_eff_se; };
    f.theory = [&c](double first, double second) { return predict(c, first, second).lambda_eff; };
    f.y = {"effective weight decay λ_{eff}", true};
    f.title = "effective weight decay against radius; theory (d−1)T/r^2";
    return single(c, "b_lambda_eff", fmt::format("{}b ({}): effective weight decay λ_eff against radius", c.words.figure,
                                                 c.words.name),
                  "Measured effective weight decay λ_eff = (E‖w̃‖ − r)/(η_eff r³) (markers ± SE, column lambda_eff) "
                  "against the radius r, one colour per effective learning rate η_eff, on the SDE prediction "
                  "(d−1)T/r² with T = η_eff σ²/2 (lines). This is the pressure of the ideal-gas law.",
                  c.words.figure + "b", family_panel(c, f));
  }
  f.value = [](const StationaryRow& r) { return r.r_mean; };
  f.se = [](const StationaryRow& r) { return r.r_se; };
  f.theory = [&c](double first, double second) { return predict(c, first, second).r; };
  f.y = {"stationary radius r^* = ‖w‖", true};
  f.title = fmt::format("stationary radius against weight decay, one line per {}", c.words.first_symbol);
  return single(c, "b_radius", fmt::format("{}b ({}): stationary radius r* against weight decay", c.words.figure,
                                           c.words.name),
                fmt::format("Mean stationary radius r̄ (markers ± SE, column r_mean) against the weight decay λ, one "
                            "colour per {}, on the SDE stationary radius r* (lines; docs/theory.md §3). The discrete-time "
                            "correction is in the Fig. 13 panel below.",
                            plain(c.words.first_label)),
                c.words.figure + "b", family_panel(c, f));
}

// ------------------------------------------------------------------------------------------------------
// (c), (d): total entropy S against each axis, one line per value of the other.

Figure panel_entropy(const Context& c, bool x_is_second) {
  Family f;
  f.x_is_second = x_is_second;
  f.value = [](const StationaryRow& r) { return r.S; };
  f.se = [](const StationaryRow& r) { return r.S_se; };
  f.theory = [&c](double first, double second) { return predict(c, first, second).S; };
  f.y = {"total entropy S = S(ρ_ŵ) + (d−1) log r [nats]", false};
  f.legend = {legend_entry("measured ± SE", SeriesStyle::points_with_error),
              legend_entry(c.protocol == Protocol::fixed_sphere ? "theory: VMF + (d−1) log r" : "theory: VMF + SDE radius",
                           SeriesStyle::line)};
  const std::string x_symbol = x_is_second ? c.words.second_symbol : c.words.first_symbol;
  const std::string per_symbol = x_is_second ? c.words.first_symbol : c.words.second_symbol;
  f.title = fmt::format("entropy against {}, one line per {}", x_symbol, per_symbol);
  const char* letter = x_is_second ? "c" : "d";
  std::string expected;
  switch (c.protocol) {
    case Protocol::fixed_lr:
      expected = x_is_second ? "flat in λ: dS/dlog λ = 0 (the adiabat, V4)" : "slope dS/dlog η = R = (d−1)/2";
      break;
    case Protocol::fixed_elr:
      expected = x_is_second ? "slope dS/dlog λ = −R (Maxwell relation, Eq. 84)" : "slope dS/dlog η_eff = 2R";
      break;
    case Protocol::fixed_sphere:
      expected = x_is_second ? "slope dS/dlog r = d−1" : "slope dS/dlog η_eff = R";
      break;
  }
  return single(
      c,
      fmt::format("{}_entropy_vs_{}", letter,
                  x_is_second ? (c.protocol == Protocol::fixed_sphere ? "radius" : "lambda")
                              : (c.protocol == Protocol::fixed_lr ? "eta" : "eta_eff")),
      fmt::format("{}{} ({}): total entropy S against {}", c.words.figure, letter, c.words.name, plain(x_symbol)),
      fmt::format("Total entropy S = S(ρ_ŵ) + (d−1) log r̄ (markers ± SE, column S) against {}, one colour per {}, "
                  "on the small-noise theory S(ρ_ŵ)_VMF + (d−1) log r* (lines). Expected: {}.",
                  plain(x_is_second ? c.words.second_label : c.words.first_label),
                  plain(x_is_second ? c.words.first_label : c.words.second_label), expected),
      c.words.figure + letter, family_panel(c, f));
}

// ------------------------------------------------------------------------------------------------------
// (e): potential heat maps. lr, elr: G_ref(k) over the whole grid, one map per paper reference; sphere: one map
// per paper radius, F_ref(k) at that radius for every reference (rows) and candidate (columns) eta_eff.

Series heat_marker(Marker marker, const char* colour, double scale) {
  Series s;
  s.style = SeriesStyle::points;
  s.marker = marker;
  s.colour = colour;
  s.marker_scale = scale;
  return s;
}

ColourBar potential_bar(const Context& c) {
  ColourBar bar;
  bar.label = fmt::format("({0} − min {0}) / T_{{ref}}", c.words.potential);
  bar.scale = ColourScale::log1p;
  return bar;
}

Figure panel_e_gibbs(const Context& c) {
  const GridTable& t = c.table;
  const std::vector<std::pair<int, int>> refs = paper_potential_references(t);
  std::vector<int> ref_i, ref_j;
  for (const auto& [i, j] : refs) {
    if (std::find(ref_i.begin(), ref_i.end(), i) == ref_i.end()) ref_i.push_back(i);
    if (std::find(ref_j.begin(), ref_j.end(), j) == ref_j.end()) ref_j.push_back(j);
  }
  Figure fig;
  fig.name = c.stem + "e_gibbs_maps";
  fig.title = fmt::format("{}e ({}): Gibbs potential G_ref(k) over the grid for {} references", c.words.figure,
                          c.words.name, refs.size());
  fig.caption = fmt::format(
      "For each reference configuration (white circle; rows: {0} of the reference, columns: {1} of the "
      "reference) the Gibbs potential G_ref(k) = U_k − T_ref S_k + P_ref V_k of every grid configuration k, "
      "minus its minimum, in units of T_ref (colour, log scale: 0 at the minimum). The red cross is the argmin; "
      "the ideal-gas theory puts it on the reference (V2). References: the paper's grid indices {{2, 8, 14}} "
      "on each axis, scaled to this grid.",
      plain(c.words.first_symbol), plain(c.words.second_symbol));
  fig.paper_panel = c.words.figure + "e";
  fig.section = c.words.section;
  fig.rows = static_cast<int>(ref_i.size());
  fig.columns = static_cast<int>(ref_j.size());
  fig.width_px = 580 * fig.columns;
  fig.height_px = 500 * fig.rows;
  for (int i : ref_i)
    for (int j : ref_j) {
      const PotentialMap map = potential_map(t, i, j);
      Panel p;
      p.title = fmt::format("ref. {} = {}, {} = {}", c.words.first_symbol, num(c.first[i]), c.words.second_symbol,
                            num(c.second[j]));
      p.x = {c.words.first_label, true};
      p.y = {c.words.second_label, true};
      p.square = true;
      p.has_colour_bar = true;
      p.colour_bar = potential_bar(c);
      p.has_heat_map = true;
      p.heat_map.x_centres = c.first;
      p.heat_map.y_centres = c.second;
      p.heat_map.z.assign(t.rows.size(), kNaN);
      for (int x = 0; x < t.n_first; ++x)
        for (int y = 0; y < t.n_second; ++y)
          p.heat_map.z[static_cast<std::size_t>(y) * t.n_first + x] =
              map.excess_over_T[static_cast<std::size_t>(x) * t.n_second + y];
      Series ref = heat_marker(Marker::open_circle, kReferenceMarkerColour, 2.4);
      ref.x = {c.first[i]};
      ref.y = {c.second[j]};
      p.series.push_back(ref);
      if (map.argmin_row >= 0) {
        Series arg = heat_marker(Marker::cross, kArgminMarkerColour, 2.0);
        arg.x = {c.first[map.argmin_i]};
        arg.y = {c.second[map.argmin_j]};
        p.series.push_back(arg);
      }
      fig.panels.push_back(std::move(p));
    }
  return fig;
}

Figure panel_e_helmholtz(const Context& c) {
  const GridTable& t = c.table;
  const std::vector<int> radii = scale_paper_indices(kPaperSphereRadiusIndices, t.n_second);
  Figure fig;
  fig.name = c.stem + "e_helmholtz_maps";
  fig.title = fmt::format("{}e ({}): Helmholtz potential F_ref(k) at {} radii", c.words.figure, c.words.name,
                          radii.size());
  fig.caption =
      "At a fixed radius r only configurations on the same sphere compete, so each map is one radius: row = the "
      "reference's η_eff (white circles on the diagonal), column = the candidate's η_eff, colour = "
      "(F_ref(k) − min F_ref)/T_ref with F_ref(k) = U_k − T_ref S_k (log scale: 0 at the minimum). The red "
      "crosses are each row's argmin; the theory puts them on the diagonal (V2). Radii: the paper's indices "
      "{0, 5, 10, 15}, scaled to this grid.";
  fig.paper_panel = c.words.figure + "e";
  fig.section = c.words.section;
  fig.columns = radii.size() == 4 ? 2 : static_cast<int>(radii.size());
  fig.rows = radii.size() == 4 ? 2 : 1;
  fig.width_px = 620 * fig.columns;
  fig.height_px = 560 * fig.rows;
  for (int j : radii) {
    Panel p;
    p.title = fmt::format("r = {}", num(c.second[j]));
    p.x = {"candidate η_{eff}", true};
    p.y = {"reference η_{eff}", true};
    p.square = true;
    p.has_colour_bar = true;
    p.colour_bar = potential_bar(c);
    p.has_heat_map = true;
    p.heat_map.x_centres = c.first;
    p.heat_map.y_centres = c.first;
    p.heat_map.z.assign(static_cast<std::size_t>(t.n_first) * t.n_first, kNaN);
    Series refs = heat_marker(Marker::open_circle, kReferenceMarkerColour, 1.5);
    Series argmins = heat_marker(Marker::cross, kArgminMarkerColour, 1.6);
    for (int ref = 0; ref < t.n_first; ++ref) {
      const PotentialMap map = potential_map(t, ref, j);
      for (int k = 0; k < t.n_first; ++k)
        p.heat_map.z[static_cast<std::size_t>(ref) * t.n_first + k] =
            map.excess_over_T[static_cast<std::size_t>(k) * t.n_second + j];
      refs.x.push_back(c.first[ref]);
      refs.y.push_back(c.first[ref]);
      if (map.argmin_row >= 0) {
        argmins.x.push_back(c.first[map.argmin_i]);
        argmins.y.push_back(c.first[ref]);
      }
    }
    p.series = {refs, argmins};
    fig.panels.push_back(std::move(p));
  }
  return fig;
}

// ------------------------------------------------------------------------------------------------------
// Fig. 13: measured / SDE prediction, with the discrete-time prediction / SDE dashed.

Figure panel_13(const Context& c) {
  const bool sphere = c.protocol == Protocol::fixed_sphere;
  Family f;
  f.x_is_second = false;
  if (sphere) {
    f.value = [](const StationaryRow& r) { return r.lambda_eff / r.lambda_eff_sde; };
    f.se = [](const StationaryRow& r) { return r.lambda_eff_se / r.lambda_eff_sde; };
    f.row_line = [](const StationaryRow& r) { return r.lambda_eff_discrete / r.lambda_eff_sde; };
    f.y = {"λ_{eff} / SDE prediction (d−1)T/r^2", false};
  } else {
    f.value = [](const StationaryRow& r) { return r.r_mean / r.r_sde; };
    f.se = [](const StationaryRow& r) { return r.r_se / r.r_sde; };
    f.row_line = [](const StationaryRow& r) { return r.r_discrete / r.r_sde; };
    // Plain letters only: gnuplot's svg terminal drops a label with a combining accent (r + U+0304).
    f.y = {"mean radius / SDE prediction r^*", false};
  }
  f.legend = {legend_entry("measured / SDE ± SE", SeriesStyle::points_with_error),
              legend_entry("SDE (= 1)", SeriesStyle::line),
              legend_entry("discrete-time / SDE", SeriesStyle::dashed_line)};
  f.legend[1].colour = "#000000";  // the SDE line below is black, not a hyperparameter colour
  f.title = fmt::format("{} against the SDE (solid) and discrete-time (dashed) predictions",
                        sphere ? "λ_{eff}" : "stationary radius");
  const std::string quantity = sphere ? "effective weight decay λ_eff" : "stationary radius r̄";
  Panel panel = family_panel(c, f);
  Series sde;  // one line for every hyperparameter: the ratio of the SDE prediction to itself
  sde.style = SeriesStyle::line;
  sde.colour = "#000000";
  sde.line_width = 1.5;
  sde.x = {c.first.front(), c.first.back()};
  sde.y = {1.0, 1.0};
  panel.series.insert(panel.series.begin(), sde);
  Figure fig = single(c, "", fmt::format("Fig. 13 ({}): {} against SDE and discrete-time predictions", c.words.name,
                                         quantity),
                fmt::format("Measured {0} divided by its SDE prediction (markers ± SE), one colour per {1}, against "
                            "{2}. Solid: the SDE prediction (ratio 1); dashed: the discrete-time prediction of App. H "
                            "(Eq. 120-123, with the measured E‖∇L(ŵ)‖²), also divided by the SDE one. The SDE "
                            "drops O(η) terms, so the two part at large {2}.",
                            quantity, plain(c.words.second_label), plain(c.words.first_label)),
                "Fig. 13", std::move(panel));
  fig.name = fmt::format("fig13_{}", protocol_name(c.protocol));
  return fig;
}

// ------------------------------------------------------------------------------------------------------
// Z = PV/(RT) over the grid.

Figure panel_z(const Context& c) {
  const GridTable& t = c.table;
  ZMap z = z_map_panel(t, c.words);
  std::string numbers = "no finite Z";
  if (z.n > 0)
    numbers = fmt::format("Over {} configurations the mean Z is {:.4f}; the largest |Z − 1| is {:.3g} ± {:.2g}{}; the "
                          "largest |Z − 1|/SE is {:.3g}.",
                          z.n, z.mean, z.max_dev, z.max_dev_se,
                          z.worst == nullptr ? std::string()
                                             : fmt::format(" at {} = {}, {} = {}", plain(c.words.first_symbol),
                                                           num(z.worst->eta), plain(c.words.second_symbol),
                                                           num(second_value(c.protocol, *z.worst))),
                          z.max_sigmas);
  Figure fig = single(
      c, "", fmt::format("Z map ({}): compressibility factor PV/(RT)", c.words.name),
      fmt::format("Compressibility factor Z = PV/(RT), R = (d−1)/2, of every configuration (colour: white = 1, the "
                  "ideal gas; red above, blue below). T is the protocol's closed form, P = {}, V = {}; SE from the "
                  "SE of {}. {}",
                  c.protocol == Protocol::fixed_sphere ? "the measured λ_eff" : "λ",
                  c.protocol == Protocol::fixed_sphere ? "r²/2" : "the measured mean of r²/2",
                  c.protocol == Protocol::fixed_sphere ? "λ_eff" : "the radius", numbers),
      "", std::move(z.panel));
  fig.name = fmt::format("z_map_{}", protocol_name(c.protocol));
  fig.width_px = 820;
  fig.height_px = 700;
  return fig;
}

/// Columns a figure needs from summary.csv; if one is missing the figure is not drawn.
bool has_columns(const Context& c, const std::vector<std::string>& needed, const std::string& figure,
                 std::vector<std::string>& notes) {
  std::string missing;
  for (const std::string& name : needed)
    if (!c.run.summary.has_column(name)) missing += (missing.empty() ? "" : ", ") + name;
  if (missing.empty()) return true;
  notes.push_back(fmt::format("{} not drawn: {}/summary.csv has no column {}", figure, protocol_name(c.protocol), missing));
  return false;
}

void protocol_figures(const IsoProtocolRun& run, IsoFigures& out) {
  const GridTable& t = run.summary.table;
  Context c{run, t, t.protocol, words_for(t.protocol), "", {}, {}};
  c.stem = t.protocol == Protocol::fixed_lr ? "fig1" : t.protocol == Protocol::fixed_elr ? "fig4" : "fig3";
  for (int i = 0; i < t.n_first; ++i) c.first.push_back(t.at(i, 0).eta);
  for (int j = 0; j < t.n_second; ++j) c.second.push_back(second_value(t.protocol, t.at(0, j)));
  const std::string& p = c.words.name;
  const bool sphere = t.protocol == Protocol::fixed_sphere;
  if (has_columns(c, {"U_se", "S_sphere", "S_sphere_se"}, c.words.figure + "a (" + p + ")", out.notes))
    out.figures.push_back(panel_a(c));
  if (has_columns(c, sphere ? std::vector<std::string>{"lambda_eff", "lambda_eff_se"}
                            : std::vector<std::string>{"r_mean", "r_se"},
                  c.words.figure + "b (" + p + ")", out.notes))
    out.figures.push_back(panel_b(c));
  if (has_columns(c, {"S_se"}, c.words.figure + "c, d (" + p + ")", out.notes)) {
    out.figures.push_back(panel_entropy(c, true));
    out.figures.push_back(panel_entropy(c, false));
  }
  out.figures.push_back(sphere ? panel_e_helmholtz(c) : panel_e_gibbs(c));
  if (has_columns(c, sphere ? std::vector<std::string>{"lambda_eff", "lambda_eff_se", "lambda_eff_sde",
                                                       "lambda_eff_discrete"}
                            : std::vector<std::string>{"r_mean", "r_se", "r_sde", "r_discrete"},
                  "Fig. 13 (" + p + ")", out.notes))
    out.figures.push_back(panel_13(c));
  if (has_columns(c, sphere ? std::vector<std::string>{"lambda_eff_se"} : std::vector<std::string>{"r_mean", "r_se"},
                  "Z map (" + p + ")", out.notes))
    out.figures.push_back(panel_z(c));
}

}  // namespace

std::string iso_section_heading(Protocol protocol) {
  switch (protocol) {
    case Protocol::fixed_lr: return "Fixed learning rate (paper Figure 1)";
    case Protocol::fixed_elr: return "Fixed effective learning rate (paper Figure 4)";
    case Protocol::fixed_sphere: return "Fixed sphere (paper Figure 3)";
  }
  return "";
}

IsoFigures iso_figures(const IsoRunFolder& run) {
  IsoFigures out;
  for (const IsoProtocolRun& r : run.protocols) protocol_figures(r, out);
  return out;
}

}  // namespace idealgas::report
