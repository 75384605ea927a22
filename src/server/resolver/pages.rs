//! Product pages as a source: each page read once at a time (coalesced), remembered for a while,
//! fetched under the operator's page gate.

use super::*;

impl Resolver {
    /// A product page's facts: remembered, joined to a read under way, or read now (one read per
    /// canonical address however many checks ask; a fresh read spends the check's allowance and
    /// waits for the client's turn under the pages' ceiling).
    pub(super) async fn read_page(
        self: &Arc<Self>,
        pages: &PageReader,
        link: &Link,
        deadline: Instant,
        allowance: &Arc<Allowance>,
    ) -> Option<PageFacts> {
        let url = link.canonical_url.clone();
        let flight = {
            let now = Instant::now();
            let mut read = lock(&self.pages_read);
            match read.get(&url) {
                Some((PageRead::Read(facts), until)) if *until > now => return Some(facts.clone()),
                Some((_, until)) if *until > now => return None,
                Some(_) => {
                    read.pop(&url);
                }
                None => {}
            }
            drop(read);
            let mut inflight = lock(&self.pages_inflight);
            if let Some(flight) = inflight.get(&url) {
                flight.clone()
            } else {
                let what = link.product_id.clone().unwrap_or_else(|| url.clone());
                if !allowance.permit(&what) {
                    return None;
                }
                let this = self.clone();
                let (pages, key, client) = (pages.clone(), url.clone(), allowance.client());
                let flight = async move {
                    let read = this.fetch_page(&pages, &key, client, deadline).await;
                    let ttl = match &read {
                        PageRead::Read(_) => Some(PAGE_TTL),
                        PageRead::Failed => Some(PAGE_FAILED_TTL),
                        PageRead::NotAsked => None,
                    };
                    if let Some(ttl) = ttl {
                        lock(&this.pages_read)
                            .put(key.clone(), (read.clone(), Instant::now() + ttl));
                    }
                    lock(&this.pages_inflight).remove(&key);
                    read
                }
                .boxed()
                .shared();
                inflight.insert(url, flight.clone());
                // Runs to its end even if this check goes, so its answer serves the next.
                tokio::spawn(flight.clone());
                flight
            }
        };
        match tokio::time::timeout_at(deadline, flight).await {
            Ok(PageRead::Read(facts)) => Some(facts),
            _ => None,
        }
    }

    pub(super) async fn fetch_page(
        &self,
        pages: &PageReader,
        url: &str,
        client: Client,
        deadline: Instant,
    ) -> PageRead {
        let Some(_turn) = self.page_gate.turn(client, deadline).await else {
            return PageRead::NotAsked;
        };
        if !self.page_breaker.allow() {
            return PageRead::NotAsked;
        }
        match pages.read(url).await {
            Ok(facts) => {
                self.page_breaker.success();
                PageRead::Read(facts)
            }
            Err(e) => {
                tracing::warn!(error = %e, "product page not read");
                if e.is_source_fault() {
                    self.page_breaker.failure();
                }
                PageRead::Failed
            }
        }
    }
}
