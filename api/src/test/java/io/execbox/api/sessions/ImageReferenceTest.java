package io.execbox.api.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ImageReferenceTest {
  @Test
  void referencesOfTheDistributionGrammarPass() {
    for (String ok :
        new String[] {
          "x",
          "busybox:1.36",
          "python:3.12-slim",
          "localhost/execbox-test/busybox:latest",
          "localhost:5000/a/b-c__d.e:v1.0",
          "Registry.Example.com/team/app",
          "ghcr.io/o/r@sha256:" + "a".repeat(64),
          "ghcr.io/o/r:tag@sha256:" + "a".repeat(64),
          "a".repeat(255),
        }) {
      assertThat(ImageReference.problem(ok)).as(ok).isNull();
    }
  }

  @Test
  void whatNoRuntimeCouldPullIsRefused() {
    for (String bad :
        new String[] {
          "a".repeat(256),
          "upper/Case",
          "a//b",
          "x:",
          "-x",
          "a:b:c",
          "x@sha256:12",
          "x y",
          "x:" + "t".repeat(129),
          "a".repeat(300) + ":t",
        }) {
      assertThat(ImageReference.problem(bad)).as(bad).isNotNull();
    }
  }
}
