package io.steadfast.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The body of every error answer.
 *
 * @param error a stable, machine-readable code such as {@code unknown_task_type}
 * @param message what is wrong, for a person
 * @param details anything that helps fix the request (e.g. the known task types); may be null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiError(String error, String message, Object details) {}
