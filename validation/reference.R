#!/usr/bin/env Rscript
# Reference values for the pooling engine, from R metafor (and R meta where installed).
#
#   Rscript validation/reference.R validation/cases.csv > validation/reference.csv
#
# Input: case,events,total (one row per study). Output: one row per case x setting with
# est, ci_lb, ci_ub, pi_lb, pi_ub, tau2, i2, q and err (the R error where a fit is refused).
# Settings (see validation/README.md):
#   PFT_DL, PLO_DL, PLO_REML, PLO_PM, PAS_DL, PR_DL   rma(measure, method), Wald z CI, z PI
#   PLO_REML_HK                                        rma(test = "knha"): t(k-1) CI and PI
#   GLMM_PLO                                           rma.glmm(measure = "PLO"), z CI and PI
#   GLMM_PLO_TPI                                       the same fit, PI with t(k-1) quantile
#                                                      (R meta's method.predict = "V")
#   META_GLMM                                          meta::metaprop(method = "GLMM") with
#                                                      its defaults, if meta is installed
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
have_meta <- requireNamespace("meta", quietly = TRUE)

settings <- list(
  list(name = "PFT_DL",      measure = "PFT", method = "DL",   test = "z"),
  list(name = "PLO_DL",      measure = "PLO", method = "DL",   test = "z"),
  list(name = "PLO_REML",    measure = "PLO", method = "REML", test = "z"),
  list(name = "PLO_REML_HK", measure = "PLO", method = "REML", test = "knha"),
  list(name = "PLO_PM",      measure = "PLO", method = "PM",   test = "z"),
  list(name = "PAS_DL",      measure = "PAS", method = "DL",   test = "z"),
  list(name = "PR_DL",       measure = "PR",  method = "DL",   test = "z")
)
back <- function(measure, y, ni) switch(measure,
  PFT = transf.ipft.hm(y, targs = list(ni = ni)),
  PLO = transf.ilogit(y),
  PAS = transf.iarcsin(y),
  PR  = y)
empty <- function(cs, name, k) data.frame(case = cs, setting = name, k = k, est = NA,
  ci_lb = NA, ci_ub = NA, pi_lb = NA, pi_ub = NA, tau2 = NA, i2 = NA, q = NA, err = "")
clean <- function(e) gsub("[\r\n,]", " ", conditionMessage(e))

out <- list()
for (cs in unique(d$case)) {
  s <- d[d$case == cs, ]
  k <- nrow(s)
  for (st in settings) {
    row <- empty(cs, st$name, k)
    row <- tryCatch({
      es <- escalc(measure = st$measure, xi = s$events, ni = s$total)
      m <- rma(yi, vi, data = es, method = st$method, test = st$test)
      p <- predict(m)
      row$est <- back(st$measure, p$pred, s$total)
      row$ci_lb <- back(st$measure, p$ci.lb, s$total)
      row$ci_ub <- back(st$measure, p$ci.ub, s$total)
      row$pi_lb <- back(st$measure, p$pi.lb, s$total)
      row$pi_ub <- back(st$measure, p$pi.ub, s$total)
      row$tau2 <- m$tau2; row$i2 <- m$I2; row$q <- m$QE
      row
    }, error = function(e) { row$err <- clean(e); row })
    out[[length(out) + 1]] <- row
  }
  g <- empty(cs, "GLMM_PLO", k)
  gt <- empty(cs, "GLMM_PLO_TPI", k)
  fit <- tryCatch(suppressWarnings(rma.glmm(measure = "PLO", xi = s$events, ni = s$total)),
                  error = function(e) e)
  if (inherits(fit, "error")) {
    g$err <- clean(fit); gt$err <- clean(fit)
  } else {
    p <- predict(fit, transf = transf.ilogit)
    g$est <- p$pred; g$ci_lb <- p$ci.lb; g$ci_ub <- p$ci.ub
    g$pi_lb <- p$pi.lb; g$pi_ub <- p$pi.ub; g$tau2 <- fit$tau2
    crit <- qt(0.975, k - 1)
    half <- crit * sqrt(fit$tau2 + fit$se[1]^2)
    gt$est <- g$est; gt$ci_lb <- g$ci_lb; gt$ci_ub <- g$ci_ub; gt$tau2 <- g$tau2
    gt$pi_lb <- transf.ilogit(fit$beta[1] - half); gt$pi_ub <- transf.ilogit(fit$beta[1] + half)
  }
  out[[length(out) + 1]] <- g
  out[[length(out) + 1]] <- gt
  if (have_meta) {
    mm <- empty(cs, "META_GLMM", k)
    mm <- tryCatch({
      r <- suppressWarnings(meta::metaprop(s$events, s$total, method = "GLMM",
                                           prediction = TRUE))
      mm$est <- transf.ilogit(r$TE.random); mm$ci_lb <- transf.ilogit(r$lower.random)
      mm$ci_ub <- transf.ilogit(r$upper.random); mm$pi_lb <- transf.ilogit(r$lower.predict)
      mm$pi_ub <- transf.ilogit(r$upper.predict); mm$tau2 <- r$tau2
      mm
    }, error = function(e) { mm$err <- clean(e); mm })
    out[[length(out) + 1]] <- mm
  }
}
write.csv(do.call(rbind, out), stdout(), row.names = FALSE)
