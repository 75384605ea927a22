//! What every user-facing error says, in each language: one place for (code, parameters,
//! language) -> sentence, so that the API and the page say the same thing in the same language.
//! English is each error's own `Display` (the sentence it was written with); Russian is here.

use serde::{Deserialize, Serialize};

use crate::domain::{
    campaign::CampaignError,
    codes::ErrorCode,
    country::CountryError,
    lang::Lang,
    link::{LinkError, PasteTooLarge, MAX_LINK_BYTES, MAX_PASTE_BYTES},
    rates::AmountError,
    template::{SubIdError, TemplateError, MAX_SUB_LEN},
};

/// The contract's error object: a code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Problem {
    pub code: ErrorCode,
    pub message: String,
}

impl Problem {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Problem {
        Problem {
            code,
            message: message.into(),
        }
    }
}

/// An error a user can read: its contract code and its sentence in a language.
pub trait Explain: std::fmt::Display {
    fn code(&self) -> ErrorCode;

    /// The Russian sentence (English is `Display`).
    fn russian(&self) -> String;

    fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ru => self.russian(),
        }
    }

    /// The contract's error object in `lang`.
    fn problem(&self, lang: Lang) -> Problem {
        Problem::new(self.code(), self.message(lang))
    }
}

impl Explain for PasteTooLarge {
    fn code(&self) -> ErrorCode {
        ErrorCode::TooLong
    }

    fn russian(&self) -> String {
        format!(
            "Вставленный текст занимает {} байт, больше предела в 1 МиБ ({MAX_PASTE_BYTES} байт). Проверьте ссылки по частям.",
            self.len
        )
    }
}

impl Explain for LinkError {
    fn code(&self) -> ErrorCode {
        LinkError::code(self)
    }

    fn russian(&self) -> String {
        match self {
            LinkError::EmptyInput => "Нечего проверять: ввод пуст. Вставьте ссылку на товар, магазин или категорию AliExpress.".into(),
            LinkError::TooLong { len } => format!(
                "Ссылка длиной {len} байт, больше предела в {MAX_LINK_BYTES} для одной ссылки. Вставьте адрес страницы товара (aliexpress.com/item/<id>.html) без лишних параметров."
            ),
            LinkError::PasteTooLarge(p) => p.russian(),
            LinkError::UnsupportedScheme { scheme } => format!(
                "«{scheme}:» — не веб-ссылка. Вставьте ссылку https:// на страницу AliExpress."
            ),
            LinkError::Unparsable { detail } => format!(
                "Это не корректный веб-адрес ({detail}). Скопируйте ссылку заново из адресной строки браузера."
            ),
            LinkError::SeveralLinks { count } => format!(
                "В тексте {count} ссылок, а здесь ожидается одна. Проверьте их списком или вставьте одну ссылку."
            ),
            LinkError::NonStandardPort { port } => format!(
                "В ссылке указан порт {port}, а страницы AliExpress открываются на стандартном порту. Вставьте адрес без «:{port}»."
            ),
            LinkError::NotAliexpress { host } => format!(
                "{host} — не сайт AliExpress. Linksmith проверяет ссылки на страницы aliexpress.com, aliexpress.ru и aliexpress.us: вставьте адрес страницы товара."
            ),
            LinkError::OtherNetwork { host, network } => format!(
                "{host} — партнёрская ссылка {network}: в ней уже чужое отслеживание. Откройте её и вставьте адрес страницы AliExpress, на которую она ведёт."
            ),
            LinkError::ShortLinkRejected { host } => {
                if crate::domain::link::is_s_click(host) {
                    format!(
                        "Ссылки {host} не принимаются: по условиям комиссия через ссылки s.click может не засчитаться. Откройте ссылку в браузере и вставьте адрес страницы товара, который он покажет (aliexpress.com/item/<id>.html)."
                    )
                } else {
                    format!(
                        "{host} — короткая партнёрская ссылка: в ней метка другого вебмастера, а переход по ней засчитал бы ему клик, поэтому Linksmith по ней не переходит. Откройте её в браузере и вставьте адрес страницы AliExpress, который он покажет."
                    )
                }
            }
            LinkError::ShortLinkUnresolved { reason } => format!(
                "Не удалось пройти по ссылке «Поделиться» из приложения ({reason}). Откройте её на телефоне или в браузере и вставьте адрес страницы товара."
            ),
            LinkError::BadProductId { id } => format!(
                "«{id}» — не номер товара AliExpress (в них от 10 до 16 цифр). Скопируйте ссылку заново со страницы товара."
            ),
            LinkError::AccountPage { host } => format!(
                "{host} — страница аккаунта, корзины или помощи: ссылка на неё не приносит комиссию. Вставьте ссылку на товар, магазин или категорию."
            ),
            LinkError::VanityStore { host } => format!(
                "{host} — собственный адрес магазина. Откройте магазин и вставьте его адрес вида aliexpress.com/store/<id> или ссылку на товар."
            ),
            LinkError::EmptyShare => "Ссылка «Поделиться» не говорит, какой страницей делятся. Откройте её и вставьте адрес страницы товара.".into(),
            LinkError::UnknownPage { page } => format!(
                "Linksmith не знает эту страницу AliExpress ({page}). Вставьте ссылку на товар, магазин, категорию, поиск или акцию."
            ),
        }
    }
}

impl Explain for CountryError {
    fn code(&self) -> ErrorCode {
        CountryError::code(self)
    }

    fn russian(&self) -> String {
        format!(
            "«{}» — не код страны. Укажите страну доставки покупателя двухбуквенным кодом ISO 3166-1, например US, BR или KZ.",
            self.input
        )
    }
}

impl Explain for AmountError {
    fn code(&self) -> ErrorCode {
        AmountError::code(self)
    }

    fn russian(&self) -> String {
        match self {
            AmountError::NotANumber(t) => format!(
                "«{t}» — не сумма. Укажите стоимость заказа в USD числом, например 25 или 19.99."
            ),
            AmountError::Negative(t) => format!(
                "Сумма {t} отрицательна. Укажите стоимость заказа в USD: только товары, без доставки."
            ),
            AmountError::Absurd(t) => format!(
                "Сумма {t} USD больше любого заказа (предел 1 000 000 USD). Проверьте число."
            ),
            AmountError::Ambiguous(t) => format!(
                "«{t}» можно прочесть двояко (тысяча или дробное число). Тысячу пишите как 1000 или 1 000, дробную сумму — как 1.5 или 1,50."
            ),
            AmountError::BadGrouping(t) => format!(
                "В «{t}» цифры сгруппированы неровно. Группируйте тысячи по три (1 000 или 1 000 000,50) или пишите без группировки, например 1000.50."
            ),
        }
    }
}

impl Explain for SubIdError {
    fn code(&self) -> ErrorCode {
        SubIdError::code(self)
    }

    fn russian(&self) -> String {
        match self {
            SubIdError::TooLong { len } => format!(
                "Sub-id длиной {len} знаков; помещается не больше {MAX_SUB_LEN}. Используйте метку короче, например tg-channel."
            ),
            SubIdError::BadCharacter { sub, bad } => format!(
                "В sub-id «{sub}» есть {bad}: такое ссылки не передают надёжно. Используйте только латинские буквы, цифры, «-», «_» и «.», например tg-channel."
            ),
        }
    }
}

impl Explain for TemplateError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidTemplate
    }

    fn russian(&self) -> String {
        match self {
            TemplateError::Empty => "шаблон пуст".into(),
            TemplateError::NoDestination => "в нём нет {url} или {raw_url}: ссылка не вела бы на проверенную страницу. Поставьте {url} туда, где ваша сеть ждёт адрес назначения, например https://example-network.com/deeplink?to={url}&sub={sub}".into(),
            TemplateError::UnknownPlaceholder(p) => format!(
                "в нём неизвестная подстановка {p}; подстановки: {{url}}, {{raw_url}}, {{product_id}} и {{sub}}"
            ),
            TemplateError::NotHttps(d) => format!(
                "это не полный адрес https ({d}). Начните его с https:// и домена вашей сети"
            ),
            TemplateError::ShortLinkHost(h) => format!(
                "он ведёт на {h} — домен коротких партнёрских ссылок, комиссия через который может не засчитаться. Используйте адрес глубоких ссылок вашей сети"
            ),
        }
    }
}

impl Explain for crate::domain::template::DeriveError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidTemplate
    }

    fn russian(&self) -> String {
        use crate::domain::template::DeriveError;
        match self {
            DeriveError::NotALink => "Это не ссылка. Вставьте глубокую ссылку на один товар из кабинета вашей сети, начиная с https://.".into(),
            DeriveError::ShortLink { host } => format!(
                "{host} — короткая ссылка: её параметры скрыты. Вставьте полную глубокую ссылку из кабинета вашей сети (ту, где есть адрес товара)."
            ),
            DeriveError::NoDestination => "Ни один параметр этой ссылки не ведёт на страницу AliExpress, поэтому некуда подставить проверенную страницу. Сделайте в кабинете сети глубокую ссылку на один товар и вставьте её.".into(),
            DeriveError::Invalid(e) => format!("Шаблон из неё отклонён: {}.", e.russian()),
        }
    }
}

impl Explain for CampaignError {
    fn code(&self) -> ErrorCode {
        CampaignError::code(self)
    }

    fn russian(&self) -> String {
        match self {
            CampaignError::TooLong { field, len } => format!(
                "Поле {field} длиной {len} знаков, больше предела в {}. Проверьте его по частям.",
                crate::domain::campaign::MAX_FIELD_CHARS
            ),
            CampaignError::TooManyKeywords { count } => format!(
                "Ключевых слов {count}, больше предела в {}. Проверьте их по частям.",
                crate::domain::campaign::MAX_KEYWORDS
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_link_error_has_a_russian_sentence_with_its_parameters() {
        let errors = [
            LinkError::EmptyInput,
            LinkError::TooLong { len: 5000 },
            LinkError::NotAliexpress {
                host: "evil.test".into(),
            },
            LinkError::ShortLinkRejected {
                host: "s.click.aliexpress.com".into(),
            },
            LinkError::BadProductId { id: "12".into() },
        ];
        for e in errors {
            let en = e.message(Lang::En);
            let ru = e.message(Lang::Ru);
            assert_ne!(en, ru);
            assert!(ru.chars().any(|c| ('а'..='я').contains(&c)), "{ru}");
            assert_eq!(e.problem(Lang::Ru).code, e.code());
        }
        assert!(LinkError::NotAliexpress {
            host: "evil.test".into()
        }
        .message(Lang::Ru)
        .contains("evil.test"));
    }
}
