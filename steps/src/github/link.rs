//! RFC 8288 `Link` headers as GitHub sends them for pagination.

/// The pagination links of a response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Links {
    /// The next page.
    pub next: Option<String>,
    /// The last page.
    pub last: Option<String>,
}

impl Links {
    /// Parses `<url>; rel="next", <url>; rel="last"`.
    pub fn parse(header: &str) -> Self {
        let mut links = Self::default();
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let Some(url) = pieces.next().map(str::trim) else {
                continue;
            };
            let Some(url) = url.strip_prefix('<').and_then(|u| u.strip_suffix('>')) else {
                continue;
            };
            for p in pieces {
                let p = p.trim();
                let Some(rel) = p.strip_prefix("rel=") else {
                    continue;
                };
                for r in rel.trim_matches('"').split_whitespace() {
                    match r {
                        "next" => links.next = Some(url.to_owned()),
                        "last" => links.last = Some(url.to_owned()),
                        _ => {}
                    }
                }
            }
        }
        links
    }

    /// The `page=` number of the last link, for progress and ETA.
    pub fn last_page(&self) -> Option<u64> {
        let last = self.last.as_deref()?;
        let query = last.split_once('?')?.1;
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix("page="))
            .and_then(|n| n.parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_githubs_link_header() {
        let h = r#"<https://api.github.com/repositories/3544424/issues?state=all&page=2>; rel="next", <https://api.github.com/repositories/3544424/issues?state=all&page=96>; rel="last""#;
        let l = Links::parse(h);
        assert_eq!(
            l.next.as_deref(),
            Some("https://api.github.com/repositories/3544424/issues?state=all&page=2")
        );
        assert_eq!(l.last_page(), Some(96));
        assert_eq!(Links::parse(""), Links::default());
        assert_eq!(Links::parse("garbage; rel=next").next, None);
    }
}
