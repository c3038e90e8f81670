package io.execbox.store;
