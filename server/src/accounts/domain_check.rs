//! Where Megaplan credentials may point: `https://<name>.megaplan.ru`, or a host the operator allowed
//! (`--megaplan-allow-host`, also over http — the emulator in tests and demo). Nothing else, so the
//! settings page cannot make the server call internal addresses.

use app::api::ErrorCode;

/// The normalized base URL (`https://mp1.megaplan.ru`), or why not.
pub fn megaplan_base(input: &str, allow_hosts: &[String]) -> Result<url::Url, ErrorCode> {
    let input = input.trim();
    let url = url::Url::parse(input).map_err(|_| ErrorCode::DomainFormat)?;
    if !matches!(url.scheme(), "https" | "http")
        || !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
        || !matches!(url.path(), "" | "/")
    {
        return Err(ErrorCode::DomainFormat);
    }
    let host = url
        .host_str()
        .ok_or(ErrorCode::DomainFormat)?
        .to_ascii_lowercase();
    let port = url.port_or_known_default().unwrap_or(0);
    let allowed = allow_hosts.iter().any(|entry| {
        let entry = entry.trim().to_ascii_lowercase();
        match entry.rsplit_once(':') {
            Some((h, p)) if p.parse::<u16>().is_ok() => h == host && p == port.to_string(),
            _ => entry == host,
        }
    });
    if allowed {
        return Ok(url);
    }
    if url.scheme() != "https" {
        return Err(ErrorCode::DomainFormat);
    }
    let Some(name) = host.strip_suffix(".megaplan.ru") else {
        return Err(ErrorCode::DomainNotAllowed);
    };
    let good_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !good_name || port != 443 {
        return Err(ErrorCode::DomainNotAllowed);
    }
    Ok(url)
}

/// How the domain is shown and stored: scheme and host, no trailing slash.
pub fn display(url: &url::Url) -> String {
    url.as_str().trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(s: &str) -> Result<String, ErrorCode> {
        megaplan_base(s, &["127.0.0.1:8081".to_string()]).map(|u| display(&u))
    }

    #[test]
    fn megaplan_domains_pass() {
        assert_eq!(
            check("https://mp361546.megaplan.ru").unwrap(),
            "https://mp361546.megaplan.ru"
        );
        assert_eq!(
            check(" https://MP1.megaplan.ru/ ").unwrap(),
            "https://mp1.megaplan.ru"
        );
    }

    #[test]
    fn other_hosts_and_shapes_are_refused() {
        use ErrorCode::*;
        assert_eq!(
            check("http://mp1.megaplan.ru"),
            Err(DomainFormat),
            "plain http"
        );
        assert_eq!(check("mp1.megaplan.ru"), Err(DomainFormat), "no scheme");
        assert_eq!(
            check("https://mp1.megaplan.ru/api"),
            Err(DomainFormat),
            "a path"
        );
        assert_eq!(check("https://u:p@mp1.megaplan.ru"), Err(DomainFormat));
        assert_eq!(check("https://169.254.169.254"), Err(DomainNotAllowed));
        assert_eq!(check("https://localhost"), Err(DomainNotAllowed));
        assert_eq!(check("https://megaplan.ru.evil.com"), Err(DomainNotAllowed));
        assert_eq!(check("https://a.b.megaplan.ru"), Err(DomainNotAllowed));
        assert_eq!(check("https://mp1.megaplan.ru:8443"), Err(DomainNotAllowed));
        assert_eq!(
            check("http://127.0.0.1:8082"),
            Err(DomainFormat),
            "not the allowed port"
        );
        assert_eq!(check("ftp://mp1.megaplan.ru"), Err(DomainFormat));
    }

    #[test]
    fn allow_listed_hosts_pass_over_http() {
        assert_eq!(
            check("http://127.0.0.1:8081").unwrap(),
            "http://127.0.0.1:8081"
        );
        assert_eq!(
            check("http://127.0.0.1:8081/").unwrap(),
            "http://127.0.0.1:8081"
        );
    }
}
