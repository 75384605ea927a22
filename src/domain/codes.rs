//! The codes fixed by the API contract (`docs/check-api.md`): the errors of a check or a request,
//! and the warnings and notes of a result. Programs outside the project rely on them; each is
//! written once, in the list below, and serde, `as_str` and `parse` all come from that list.
//! The set is closed: the rules file may only use these codes (its sentences stay editable).

use serde::{Deserialize, Serialize};

/// Defines a closed set of codes: the enum (serde names each variant by its code), `ALL`,
/// `as_str`, `parse` and `Display`, from one list of `Variant = "code"`.
macro_rules! codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:tt, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )*
        }

        impl $name {
            /// Every code, in the order of the list.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The code as it appears in JSON and in the rules file.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The code named `text`, if there is one.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

codes! {
    /// Every user-facing error has one of these codes.
    pub enum ErrorCode {
        EmptyInput = "empty_input",
        TooLong = "too_long",
        InvalidUrl = "invalid_url",
        NotAliexpress = "not_aliexpress",
        ShortLinkRejected = "short_link_rejected",
        ShortLinkUnresolved = "short_link_unresolved",
        UnsupportedPage = "unsupported_page",
        InvalidCountry = "invalid_country",
        InvalidAmount = "invalid_amount",
        /// A sub-id links cannot carry.
        InvalidSub = "invalid_sub",
        /// A caller's own link template that cannot be used.
        InvalidTemplate = "invalid_template",
        TooManyLinks = "too_many_links",
        /// A malformed request (body, query string, headers).
        InvalidRequest = "invalid_request",
        /// The client checked more links than its limit allows for now; the message says how
        /// long to wait.
        RateLimited = "rate_limited",
        /// The server failed; nothing the client sent is at fault.
        Internal = "internal",
        /// The server could not be reached, or is too busy to answer now.
        Unavailable = "unavailable",
        /// An `Authorization: Bearer` key that is unknown or revoked (HTTP 401).
        InvalidKey = "invalid_key",
        /// A checking request sent by another site's page (`Sec-Fetch-Site: cross-site`, not a
        /// navigation): HTTP 403.
        CrossSiteRefused = "cross_site_refused",
    }
}

codes! {
    /// The warnings (about one link) and notes (standing advice, or about a link's rate) of a
    /// result. Their sentences live in the rules file, in every language.
    pub enum NoticeCode {
        HotSaleNeedsProductLink = "hot_sale_needs_product_link",
        ForeignAffiliateParamsRemoved = "foreign_affiliate_params_removed",
        BrazilComputerOfficeZero = "brazil_computer_office_zero",
        ZeroCommissionCategory = "zero_commission_category",
        TmallRussiaExcluded = "tmall_russia_excluded",
        RussianStoreDirectLink = "russian_store_direct_link",
        ProductUnavailable = "product_unavailable",
        StatusUnknown = "status_unknown",
        OrderCap = "order_cap",
        TrackingNotConfigured = "tracking_not_configured",
        SourcesDisagree = "sources_disagree",
        ForeignNetworkLink = "foreign_network_link",
        TmallShipFromUnknown = "tmall_ship_from_unknown",
        RedirectToSimilar = "redirect_to_similar",
        RateApproximate = "rate_approximate",
        AttributionPriority = "attribution_priority",
        RussianStoreUnknown = "russian_store_unknown",
        /// A source reported a rate outside the terms' band for the status and region.
        RateOutsideTerms = "rate_outside_terms",
        /// The commission amounts changed on 2022-03-01 (a dated note of the terms).
        CommissionChanged = "commission_changed",
        /// The client's share of fresh look-ups is spent for now: the link was answered from what
        /// is remembered only.
        LookupsSpent = "lookups_spent",
        GeoMustMatch = "geo_must_match",
        DropshippingSellerRate = "dropshipping_seller_rate",
        CouponsAndCoins = "coupons_and_coins",
        AssistantPlugin = "assistant_plugin",
        YesExpressApp = "yes_express_app",
        CommissionRoundedDown = "commission_rounded_down",
        DisputeDeducts = "dispute_deducts",
        OrderConfirmationTime = "order_confirmation_time",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_are_the_codes_and_read_back() {
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
        }
        for code in NoticeCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
            let back: NoticeCode = serde_json::from_value(code.as_str().into()).unwrap();
            assert_eq!(back, *code);
        }
        assert_eq!(ErrorCode::parse("nope"), None);
    }

    /// The contract's full lists (docs/check-api.md, "Codes").
    #[test]
    fn the_contract_codes_all_exist() {
        for code in [
            "empty_input",
            "too_long",
            "invalid_url",
            "not_aliexpress",
            "short_link_rejected",
            "short_link_unresolved",
            "unsupported_page",
            "invalid_country",
            "invalid_amount",
            "invalid_sub",
            "invalid_template",
            "too_many_links",
            "invalid_request",
            "rate_limited",
            "internal",
            "unavailable",
            "invalid_key",
            "cross_site_refused",
        ] {
            assert!(ErrorCode::parse(code).is_some(), "{code}");
        }
        for code in [
            "hot_sale_needs_product_link",
            "foreign_affiliate_params_removed",
            "brazil_computer_office_zero",
            "zero_commission_category",
            "tmall_russia_excluded",
            "russian_store_direct_link",
            "product_unavailable",
            "status_unknown",
            "order_cap",
            "tracking_not_configured",
            "sources_disagree",
            "foreign_network_link",
            "tmall_ship_from_unknown",
            "redirect_to_similar",
            "rate_approximate",
            "attribution_priority",
            "russian_store_unknown",
            "lookups_spent",
            "rate_outside_terms",
        ] {
            assert!(NoticeCode::parse(code).is_some(), "{code}");
        }
    }
}
