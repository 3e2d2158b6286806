import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../common/input-limits.js';

/**
 * The API speaks JSON only: every other body type (form-encoded, text/plain, multipart …) is a
 * 415 from Fastify, and a JSON body nested deeper than MAX_JSON_DEPTH is a 400 before it is
 * parsed (JSON.parse, class-transformer and class-validator all recurse). Parsing itself is
 * Fastify's own (prototype-poisoning protection included).
 */
export function acceptJsonBodiesOnly(fastify: FastifyInstance, bodyLimit: number): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      done(new DomainError(DomainErrorCode.InvalidInput, `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    parse(req, text, done);
  });
}

/**
 * Fastify answers some malformed URLs itself, before any route (bad percent-encoding, a path
 * segment over the router's length limit); they still leave in our error shape, with the security
 * headers every other response carries (the onRequest hook that sets them does not run for these:
 * routing fails first).
 */
export function frameworkErrors(securityHeaders: Record<string, string>) {
  return (error: { code?: string }, req: FastifyRequest, reply: FastifyReply): void => {
    const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
    const statusCode = tooLong ? 414 : 400;
    void reply
      .headers(securityHeaders)
      .status(statusCode)
      .header('Cache-Control', 'no-store')
      .send({
        statusCode,
        error: tooLong ? 'URI Too Long' : 'Bad Request',
        message: tooLong ? 'a path segment is too long' : 'the URL is not valid',
        requestId: String(req.id),
      });
  };
}
