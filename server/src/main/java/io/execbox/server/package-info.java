package io.execbox.server;
