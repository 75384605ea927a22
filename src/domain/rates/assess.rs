//! The programme's rules applied to an order: the region, the rate band, the rules that cut it,
//! the estimate with the per-order cap, and the sentences that explain each.

use super::*;
use crate::domain::words::say;

impl Programme {
    pub fn region(&self, id: RegionId) -> &Region {
        self.regions
            .iter()
            .find(|r| r.id == id)
            .expect("validated: every region id has a region")
    }

    /// The region of a delivery country (the default region holds every unlisted country).
    pub fn region_of(&self, country: Country) -> &Region {
        self.regions
            .iter()
            .find(|r| r.countries.contains(&country))
            .or_else(|| self.regions.iter().find(|r| r.default))
            .expect("validated: exactly one default region")
    }

    pub fn band(&self, region: RegionId, status: Status) -> &Band {
        self.bands
            .iter()
            .find(|b| b.region == region && b.status == status)
            .expect("validated: a band for every region and status")
    }

    /// The per-order cap in cents.
    pub fn cap_cents(&self) -> u64 {
        (self.programme.order_cap_usd * 100.0).round() as u64
    }

    /// The sentence for a code, with `{cap}` and `{days}` filled in (once for every code: a
    /// check copies them).
    pub fn message(&self, code: NoticeCode, lang: Lang) -> String {
        let filled = self.filled.get_or_init(|| {
            self.messages
                .iter()
                .map(|(code, t)| {
                    let texts = Texts {
                        en: self.fill(&t.en),
                        ru: self.fill(&t.ru),
                    };
                    (*code, texts)
                })
                .collect()
        });
        filled
            .get(&code)
            .map_or_else(|| code.as_str().to_string(), |t| t.get(lang).to_string())
    }

    /// `{cap}` and `{days}` filled in (most sentences have neither: copied as they are).
    fn fill(&self, text: &str) -> String {
        if !text.contains('{') {
            return text.to_string();
        }
        let [lo, hi] = self.programme.confirmation_days;
        text.replace("{cap}", &percent(self.programme.order_cap_usd))
            .replace("{days}", &format!("{lo}–{hi}"))
    }

    pub fn notice(&self, code: NoticeCode, lang: Lang) -> Notice {
        Notice {
            code,
            message: self.message(code, lang),
        }
    }

    /// A code's sentence for another case (`order_cap_band`), with `{cap}` and `{days}` filled
    /// in; the code's own sentence where the file gives none.
    pub fn variant(&self, code: NoticeCode, variant: &str, lang: Lang) -> Notice {
        match self.variants.get(variant) {
            Some(t) => Notice {
                code,
                message: self.fill(t.get(lang)),
            },
            None => self.notice(code, lang),
        }
    }

    /// The per-order cap's warning for an estimate: the commission shown (the exact one where a
    /// source gave a rate) was capped, or, with no exact rate, the top of the band would be.
    pub fn cap_notice(&self, rate: &Rate, estimate: &Estimate, lang: Lang) -> Option<Notice> {
        if !estimate.capped {
            return None;
        }
        Some(if rate.exact_percent.is_some() {
            self.notice(NoticeCode::OrderCap, lang)
        } else {
            self.variant(NoticeCode::OrderCap, "order_cap_band", lang)
        })
    }

    /// The highest rate a link that does not lead straight to the product can earn for a product
    /// of `status`: the standard (affiliate) band's top for a hot-sale product; for an unknown
    /// status, the top of every status but hot sale (none where one of them has no upper bound,
    /// as CIS non-affiliate goods: "from 0%").
    fn standard_ceiling(&self, region: RegionId, status: Status) -> Option<f64> {
        if status != Status::Unknown {
            return self.band(region, Status::Affiliate).max;
        }
        let mut top: Option<f64> = Some(0.0);
        for s in [
            Status::Affiliate,
            Status::NonAffiliate,
            Status::ZeroCommission,
        ] {
            top = match (top, self.band(region, s).max) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
        }
        top
    }

    /// The band's label: `0.8–7%`, `up to 70%`, `from 0%`, `0%`.
    #[allow(clippy::float_cmp)] // equal bounds are the same number of the rules file, not a computation
    pub fn label(min: Option<f64>, max: Option<f64>, lang: Lang) -> String {
        let w = &lang.words().bands;
        match (min, max) {
            (Some(a), Some(b)) => {
                let mut label = String::with_capacity(16);
                push_percent(&mut label, a);
                if a != b {
                    label.push('–');
                    push_percent(&mut label, b);
                }
                label.push('%');
                label
            }
            (None, Some(b)) => say!(w.up_to, max = percent(b)),
            (Some(a), None) => say!(w.from, min = percent(a)),
            (None, None) => w.unbounded.to_string(),
        }
    }

    /// Everything the terms say about one link and one order.
    pub fn assess(&self, order: &Order<'_>, lang: Lang) -> Assessment {
        let region = self.region_of(order.country);
        let category = order.category.map(category_key);
        let applying: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| r.applies_to(order, region.id, category.as_deref()))
            .collect();
        // Through a link that does not lead straight to the product, the hot-sale rate is not
        // paid: the standard commission applies.
        let standard = applying.iter().any(|r| r.kind == RuleKind::StandardRate);
        let hot_paid = order.status == Status::HotSale && !standard;
        let band_status = if order.status == Status::HotSale && standard {
            Status::Affiliate
        } else {
            order.status
        };
        let band = self.band(region.id, band_status);
        let (mut min, mut max) = (band.min, band.max);
        if standard {
            let ceiling = self.standard_ceiling(region.id, order.status);
            max = match (max, ceiling) {
                (Some(m), Some(c)) => Some(m.min(c)),
                // No upper bound in the terms for some status this link may earn: none.
                (_, None) => None,
                (None, c) => c,
            };
        }
        let mut exact = if hot_paid {
            order.hot_percent
        } else {
            order.exact_percent
        };
        let mut hot = order.hot_percent;
        let mut warnings: Vec<Notice> = Vec::new();
        let mut notes: Vec<Notice> = Vec::new();
        let mut zeroed = false;
        let push = |list: &mut Vec<Notice>, notice: Notice| {
            if !list.iter().any(|n| n.code == notice.code) {
                list.push(notice);
            }
        };
        for rule in applying {
            match rule.kind {
                RuleKind::ZeroRate => {
                    zeroed = true;
                    push(&mut warnings, self.notice(rule.code, lang));
                }
                RuleKind::StandardRate => {
                    let direct = order.hot_percent.map_or_else(
                        || {
                            let b = self.band(region.id, Status::HotSale);
                            Self::label(b.min, b.max, lang)
                        },
                        |h| format!("{}%", percent(h)),
                    );
                    let mut notice = self.notice(rule.code, lang);
                    notice.message = notice.message.replace("{direct}", &direct);
                    push(&mut warnings, notice);
                }
                RuleKind::ReachZero => {
                    min = Some(0.0);
                    push(&mut warnings, self.notice(rule.code, lang));
                }
                RuleKind::Warning => push(&mut warnings, self.notice(rule.code, lang)),
                RuleKind::Note => push(&mut notes, self.notice(rule.code, lang)),
            }
        }
        if zeroed {
            (min, max) = (Some(0.0), Some(0.0));
            exact = exact.map(|_| 0.0);
            hot = hot.map(|_| 0.0);
        }
        let rate = Rate {
            min_percent: min,
            max_percent: max,
            exact_percent: exact,
            hot_percent: hot,
            label: Self::label(min, max, lang),
        };
        if !zeroed {
            if let Some(note) = self.outside_terms(&rate, band_status, hot_paid, region.id, lang) {
                push(&mut notes, note);
            }
        }
        let estimate = order.amount.map(|amount| self.estimate(&rate, amount));
        if let Some(notice) = estimate
            .as_ref()
            .and_then(|e| self.cap_notice(&rate, e, lang))
        {
            push(&mut warnings, notice);
        }
        Assessment {
            delivery: Delivery {
                country: order.country,
                region: region.id,
            },
            rate,
            estimate,
            cookie_days: region.cookie_days,
            warnings,
            notes,
            zeroed,
        }
    }

    /// The note `rate_outside_terms` when the rate a source reported for this link (or the
    /// hot-sale rate it reported) lies outside the terms' band for the status and region: the band
    /// stays the terms', the exact rate and the estimate are the source's.
    fn outside_terms(
        &self,
        rate: &Rate,
        band_status: Status,
        hot_paid: bool,
        region: RegionId,
        lang: Lang,
    ) -> Option<Notice> {
        let outside = |p: f64, min: Option<f64>, max: Option<f64>| {
            min.is_some_and(|m| p < m) || max.is_some_and(|m| p > m)
        };
        let (reported, status, min, max) = match rate.exact_percent {
            Some(p) if outside(p, rate.min_percent, rate.max_percent) => {
                (p, band_status, rate.min_percent, rate.max_percent)
            }
            _ => {
                // A hot-sale rate that is not the one this link earns, against the hot band.
                let hot = self.band(region, Status::HotSale);
                match rate.hot_percent {
                    Some(h) if !hot_paid && outside(h, hot.min, hot.max) => {
                        (h, Status::HotSale, hot.min, hot.max)
                    }
                    _ => return None,
                }
            }
        };
        let mut notice = self.notice(NoticeCode::RateOutsideTerms, lang);
        notice.message = notice
            .message
            .replace("{rate}", &format!("{}%", percent(reported)))
            .replace("{band}", &Self::label(min, max, lang))
            .replace("{status}", status.word(lang));
        Some(notice)
    }

    /// The commission on `amount` at the band's bounds and the exact rate: floored to the cent,
    /// capped per order. Pure integer arithmetic: no float rounding error reaches a cent.
    /// `capped` says the cap cut the commission shown: the exact one where a source gave a rate,
    /// else the top of the band.
    pub fn estimate(&self, rate: &Rate, amount: Amount) -> Estimate {
        let cap = self.cap_cents();
        let commission = |percent: Option<f64>| {
            percent.map(|p| money::usd(money::commission_cents(amount, p).min(cap)))
        };
        // Capped whenever the commission before the cap is over it, by any fraction of a cent
        // (70% of 55.01 is 38.507: capped at 38.50).
        let capped = rate
            .exact_percent
            .or(rate.max_percent)
            .is_some_and(|p| money::exceeds_cents(amount, p, cap));
        Estimate {
            order_amount_usd: amount.usd(),
            commission_usd_min: commission(rate.min_percent),
            commission_usd_max: commission(rate.max_percent),
            commission_usd_exact: commission(rate.exact_percent),
            capped,
        }
    }
}
