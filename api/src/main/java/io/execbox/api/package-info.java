package io.execbox.api;
