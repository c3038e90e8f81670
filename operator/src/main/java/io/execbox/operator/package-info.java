package io.execbox.operator;
