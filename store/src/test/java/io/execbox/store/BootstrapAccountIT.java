package io.execbox.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The account of a key from configuration: its quota is configuration's, start after start. */
class BootstrapAccountIT {
  private static Store store;

  @BeforeAll
  static void start() {
    store = new Store(TestDatabase.migratedDatabase(), 4);
  }

  @AfterAll
  static void stop() {
    store.close();
  }

  @Test
  void theConfiguredQuotaAppliesAtEveryStartAndTheKeyIsMadeOnce() {
    AccountRepository accounts = store.accounts();
    Duration t = Duration.ofSeconds(10);
    ApiKeyRow first =
        accounts.ensureKey("acct_boot", "boot", 25, "key_boot", "h1", "sk_a").block(t);
    assertThat(accounts.findAccount("acct_boot").block(t).maxActiveSessions()).isEqualTo(25);
    // the next start, with another quota configured: the same key, the new quota
    ApiKeyRow again = accounts.ensureKey("acct_boot", "boot", 3, "key_boot", "h1", "sk_a").block(t);
    assertThat(again.id()).isEqualTo(first.id());
    assertThat(accounts.findAccount("acct_boot").block(t).maxActiveSessions()).isEqualTo(3);
    assertThat(accounts.listKeys("acct_boot").collectList().block(t)).hasSize(1);
  }
}
