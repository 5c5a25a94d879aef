/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
import $protobuf from "protobufjs/minimal.js";

// Common aliases
const $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;
const $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $RangeError = $util.global.RangeError;

// Exported root namespace
const $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

export const stepstream = $root.stepstream = (() => {

    /**
     * Namespace stepstream.
     * @exports stepstream
     * @namespace
     */
    const stepstream = {};

    stepstream.v1 = (function() {

        /**
         * Namespace v1.
         * @memberof stepstream
         * @namespace
         */
        const v1 = {};

        v1.IngestRequest = (function() {

            /**
             * Properties of an IngestRequest.
             * @typedef {Object} stepstream.v1.IngestRequest.$Properties
             * @property {string|null} [project] IngestRequest project
             * @property {string|null} [runId] IngestRequest runId
             * @property {stepstream.v1.RunInfo.$Properties|null} [run] IngestRequest run
             * @property {Array.<stepstream.v1.Series.$Properties>|null} [series] IngestRequest series
             * @property {string|null} [clientId] IngestRequest clientId
             * @property {number|null} [sequence] IngestRequest sequence
             * @property {number|null} [attempt] IngestRequest attempt
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of an IngestRequest.
             * @memberof stepstream.v1
             * @interface IIngestRequest
             * @augments stepstream.v1.IngestRequest.$Properties
             * @deprecated Use stepstream.v1.IngestRequest.$Properties instead.
             */

            /**
             * Shape of an IngestRequest.
             * @typedef {stepstream.v1.IngestRequest.$Properties} stepstream.v1.IngestRequest.$Shape
             */

            /**
             * Constructs a new IngestRequest.
             * @memberof stepstream.v1
             * @classdesc Represents an IngestRequest.
             * @constructor
             * @param {stepstream.v1.IngestRequest.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const IngestRequest = function (properties) {
                this.series = [];
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * IngestRequest project.
             * @member {string} project
             * @memberof stepstream.v1.IngestRequest
             * @instance
             */
            IngestRequest.prototype.project = "";

            /**
             * IngestRequest runId.
             * @member {string} runId
             * @memberof stepstream.v1.IngestRequest
             * @instance
             */
            IngestRequest.prototype.runId = "";

            /**
             * IngestRequest run.
             * @member {stepstream.v1.RunInfo.$Properties|null|undefined} run
             * @memberof stepstream.v1.IngestRequest
             * @instance
             */
            IngestRequest.prototype.run = null;

            /**
             * IngestRequest series.
             * @member {Array.<stepstream.v1.Series.$Properties>} series
             * @memberof stepstream.v1.IngestRequest
             * @instance
             */
            IngestRequest.prototype.series = $util.emptyArray;

            /**
             * IngestRequest clientId.
             * @member {string} clientId
             * @memberof stepstream.v1.IngestRequest
             * @instance
             */
            IngestRequest.prototype.clientId = "";

            /**
             * IngestRequest sequence.
             * @member {number} sequence
             * @memberof stepstream.v1.IngestRequest
             * @instance
             */
            IngestRequest.prototype.sequence = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * IngestRequest attempt.
             * @member {number} attempt
             * @memberof stepstream.v1.IngestRequest
             * @instance
             */
            IngestRequest.prototype.attempt = 0;

            /**
             * Creates a new IngestRequest instance using the specified properties.
             * @function create
             * @memberof stepstream.v1.IngestRequest
             * @static
             * @param {stepstream.v1.IngestRequest.$Properties=} [properties] Properties to set
             * @returns {stepstream.v1.IngestRequest} IngestRequest instance
             * @type {{
             *   (properties: stepstream.v1.IngestRequest.$Shape): stepstream.v1.IngestRequest & stepstream.v1.IngestRequest.$Shape;
             *   (properties?: stepstream.v1.IngestRequest.$Properties): stepstream.v1.IngestRequest;
             * }}
             */
            IngestRequest.create = function(properties) {
                return new IngestRequest(properties);
            };

            /**
             * Encodes the specified IngestRequest message. Does not implicitly {@link stepstream.v1.IngestRequest.verify|verify} messages.
             * @function encode
             * @memberof stepstream.v1.IngestRequest
             * @static
             * @param {stepstream.v1.IngestRequest.$Properties} message IngestRequest message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            IngestRequest.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.project != null && $Object.hasOwnProperty.call(message, "project") && message.project !== "")
                    writer.uint32(/* id 1, wireType 2 =*/10).string(message.project);
                if (message.runId != null && $Object.hasOwnProperty.call(message, "runId") && message.runId !== "")
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.runId);
                if (message.run != null && $Object.hasOwnProperty.call(message, "run"))
                    $root.stepstream.v1.RunInfo.encode(message.run, writer.uint32(/* id 3, wireType 2 =*/26).fork(), _depth + 1).ldelim();
                if (message.series != null && message.series.length)
                    for (let i = 0; i < message.series.length; ++i)
                        $root.stepstream.v1.Series.encode(message.series[i], writer.uint32(/* id 4, wireType 2 =*/34).fork(), _depth + 1).ldelim();
                if (message.clientId != null && $Object.hasOwnProperty.call(message, "clientId") && message.clientId !== "")
                    writer.uint32(/* id 5, wireType 2 =*/42).string(message.clientId);
                if (message.sequence != null && $Object.hasOwnProperty.call(message, "sequence") && (typeof message.sequence === "object" ? message.sequence.low || message.sequence.high : message.sequence !== 0))
                    writer.uint32(/* id 6, wireType 0 =*/48).uint64(message.sequence);
                if (message.attempt != null && $Object.hasOwnProperty.call(message, "attempt") && message.attempt !== 0)
                    writer.uint32(/* id 7, wireType 0 =*/56).uint32(message.attempt);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes an IngestRequest message from the specified reader or buffer.
             * @function decode
             * @memberof stepstream.v1.IngestRequest
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {stepstream.v1.IngestRequest & stepstream.v1.IngestRequest.$Shape} IngestRequest
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            IngestRequest.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.stepstream.v1.IngestRequest();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.project = value;
                            else
                                delete message.project;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.runId = value;
                            else
                                delete message.runId;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            message.run = $root.stepstream.v1.RunInfo.decode(reader, reader.size(), $undefined, _depth + 1, message.run);
                            continue;
                        }
                    case 4: {
                            if (wireType !== 2)
                                break;
                            if (!(message.series && message.series.length))
                                message.series = [];
                            message.series.push($root.stepstream.v1.Series.decode(reader, reader.size(), $undefined, _depth + 1));
                            continue;
                        }
                    case 5: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.clientId = value;
                            else
                                delete message.clientId;
                            continue;
                        }
                    case 6: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.sequence = value;
                            else
                                delete message.sequence;
                            continue;
                        }
                    case 7: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.attempt = value;
                            else
                                delete message.attempt;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for IngestRequest
             * @function getTypeUrl
             * @memberof stepstream.v1.IngestRequest
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            IngestRequest.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/stepstream.v1.IngestRequest";
            };

            return IngestRequest;
        })();

        v1.Series = (function() {

            /**
             * Properties of a Series.
             * @typedef {Object} stepstream.v1.Series.$Properties
             * @property {string|null} [metric] Series metric
             * @property {number|null} [rank] Series rank
             * @property {Array.<number>|null} [steps] Series steps
             * @property {Array.<number>|null} [values] Series values
             * @property {Array.<number>|null} [timeMs] Series timeMs
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Series.
             * @memberof stepstream.v1
             * @interface ISeries
             * @augments stepstream.v1.Series.$Properties
             * @deprecated Use stepstream.v1.Series.$Properties instead.
             */

            /**
             * Shape of a Series.
             * @typedef {stepstream.v1.Series.$Properties} stepstream.v1.Series.$Shape
             */

            /**
             * Constructs a new Series.
             * @memberof stepstream.v1
             * @classdesc Represents a Series.
             * @constructor
             * @param {stepstream.v1.Series.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Series = function (properties) {
                this.steps = [];
                this.values = [];
                this.timeMs = [];
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Series metric.
             * @member {string} metric
             * @memberof stepstream.v1.Series
             * @instance
             */
            Series.prototype.metric = "";

            /**
             * Series rank.
             * @member {number} rank
             * @memberof stepstream.v1.Series
             * @instance
             */
            Series.prototype.rank = 0;

            /**
             * Series steps.
             * @member {Array.<number>} steps
             * @memberof stepstream.v1.Series
             * @instance
             */
            Series.prototype.steps = $util.emptyArray;

            /**
             * Series values.
             * @member {Array.<number>} values
             * @memberof stepstream.v1.Series
             * @instance
             */
            Series.prototype.values = $util.emptyArray;

            /**
             * Series timeMs.
             * @member {Array.<number>} timeMs
             * @memberof stepstream.v1.Series
             * @instance
             */
            Series.prototype.timeMs = $util.emptyArray;

            /**
             * Creates a new Series instance using the specified properties.
             * @function create
             * @memberof stepstream.v1.Series
             * @static
             * @param {stepstream.v1.Series.$Properties=} [properties] Properties to set
             * @returns {stepstream.v1.Series} Series instance
             * @type {{
             *   (properties: stepstream.v1.Series.$Shape): stepstream.v1.Series & stepstream.v1.Series.$Shape;
             *   (properties?: stepstream.v1.Series.$Properties): stepstream.v1.Series;
             * }}
             */
            Series.create = function(properties) {
                return new Series(properties);
            };

            /**
             * Encodes the specified Series message. Does not implicitly {@link stepstream.v1.Series.verify|verify} messages.
             * @function encode
             * @memberof stepstream.v1.Series
             * @static
             * @param {stepstream.v1.Series.$Properties} message Series message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Series.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.metric != null && $Object.hasOwnProperty.call(message, "metric") && message.metric !== "")
                    writer.uint32(/* id 1, wireType 2 =*/10).string(message.metric);
                if (message.rank != null && $Object.hasOwnProperty.call(message, "rank") && message.rank !== 0)
                    writer.uint32(/* id 2, wireType 0 =*/16).int32(message.rank);
                if (message.steps != null && message.steps.length)
                    writer.uint32(/* id 3, wireType 2 =*/26).int64s(message.steps);
                if (message.values != null && message.values.length)
                    writer.uint32(/* id 4, wireType 2 =*/34).doubles(message.values);
                if (message.timeMs != null && message.timeMs.length)
                    writer.uint32(/* id 5, wireType 2 =*/42).int64s(message.timeMs);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a Series message from the specified reader or buffer.
             * @function decode
             * @memberof stepstream.v1.Series
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {stepstream.v1.Series & stepstream.v1.Series.$Shape} Series
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Series.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.stepstream.v1.Series();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.metric = value;
                            else
                                delete message.metric;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.int32())
                                message.rank = value;
                            else
                                delete message.rank;
                            continue;
                        }
                    case 3: {
                            if (wireType === 2) {
                                if (!(message.steps && message.steps.length))
                                    message.steps = [];
                                reader.int64s(message.steps);
                                continue;
                            }
                            if (wireType !== 0)
                                break;
                            if (!(message.steps && message.steps.length))
                                message.steps = [];
                            message.steps.push(reader.int64());
                            continue;
                        }
                    case 4: {
                            if (wireType === 2) {
                                if (!(message.values && message.values.length))
                                    message.values = [];
                                reader.doubles(message.values);
                                continue;
                            }
                            if (wireType !== 1)
                                break;
                            if (!(message.values && message.values.length))
                                message.values = [];
                            message.values.push(reader.double());
                            continue;
                        }
                    case 5: {
                            if (wireType === 2) {
                                if (!(message.timeMs && message.timeMs.length))
                                    message.timeMs = [];
                                reader.int64s(message.timeMs);
                                continue;
                            }
                            if (wireType !== 0)
                                break;
                            if (!(message.timeMs && message.timeMs.length))
                                message.timeMs = [];
                            message.timeMs.push(reader.int64());
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for Series
             * @function getTypeUrl
             * @memberof stepstream.v1.Series
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            Series.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/stepstream.v1.Series";
            };

            return Series;
        })();

        v1.RunInfo = (function() {

            /**
             * Properties of a RunInfo.
             * @typedef {Object} stepstream.v1.RunInfo.$Properties
             * @property {string|null} [name] RunInfo name
             * @property {string|null} [configJson] RunInfo configJson
             * @property {Array.<string>|null} [tags] RunInfo tags
             * @property {stepstream.v1.RunStatus|null} [status] RunInfo status
             * @property {number|null} [startedMs] RunInfo startedMs
             * @property {number|null} [finishedMs] RunInfo finishedMs
             * @property {Object.<string,string>|null} [meta] RunInfo meta
             * @property {number|null} [resumeStep] RunInfo resumeStep
             * @property {string|null} [forkOf] RunInfo forkOf
             * @property {number|null} [forkStep] RunInfo forkStep
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a RunInfo.
             * @memberof stepstream.v1
             * @interface IRunInfo
             * @augments stepstream.v1.RunInfo.$Properties
             * @deprecated Use stepstream.v1.RunInfo.$Properties instead.
             */

            /**
             * Shape of a RunInfo.
             * @typedef {stepstream.v1.RunInfo.$Properties} stepstream.v1.RunInfo.$Shape
             */

            /**
             * Constructs a new RunInfo.
             * @memberof stepstream.v1
             * @classdesc Represents a RunInfo.
             * @constructor
             * @param {stepstream.v1.RunInfo.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const RunInfo = function (properties) {
                this.tags = [];
                this.meta = {};
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * RunInfo name.
             * @member {string} name
             * @memberof stepstream.v1.RunInfo
             * @instance
             */
            RunInfo.prototype.name = "";

            /**
             * RunInfo configJson.
             * @member {string} configJson
             * @memberof stepstream.v1.RunInfo
             * @instance
             */
            RunInfo.prototype.configJson = "";

            /**
             * RunInfo tags.
             * @member {Array.<string>} tags
             * @memberof stepstream.v1.RunInfo
             * @instance
             */
            RunInfo.prototype.tags = $util.emptyArray;

            /**
             * RunInfo status.
             * @member {stepstream.v1.RunStatus} status
             * @memberof stepstream.v1.RunInfo
             * @instance
             */
            RunInfo.prototype.status = 0;

            /**
             * RunInfo startedMs.
             * @member {number} startedMs
             * @memberof stepstream.v1.RunInfo
             * @instance
             */
            RunInfo.prototype.startedMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * RunInfo finishedMs.
             * @member {number} finishedMs
             * @memberof stepstream.v1.RunInfo
             * @instance
             */
            RunInfo.prototype.finishedMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * RunInfo meta.
             * @member {Object.<string,string>} meta
             * @memberof stepstream.v1.RunInfo
             * @instance
             */
            RunInfo.prototype.meta = $util.emptyObject;

            /**
             * RunInfo resumeStep.
             * @member {number|null|undefined} resumeStep
             * @memberof stepstream.v1.RunInfo
             * @instance
             */
            RunInfo.prototype.resumeStep = null;

            /**
             * RunInfo forkOf.
             * @member {string} forkOf
             * @memberof stepstream.v1.RunInfo
             * @instance
             */
            RunInfo.prototype.forkOf = "";

            /**
             * RunInfo forkStep.
             * @member {number} forkStep
             * @memberof stepstream.v1.RunInfo
             * @instance
             */
            RunInfo.prototype.forkStep = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            // OneOf field names bound to virtual getters and setters
            let $oneOfFields;

            // Virtual OneOf for proto3 optional field
            $Object.defineProperty(RunInfo.prototype, "_resumeStep", {
                get: $util.oneOfGetter($oneOfFields = ["resumeStep"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            /**
             * Creates a new RunInfo instance using the specified properties.
             * @function create
             * @memberof stepstream.v1.RunInfo
             * @static
             * @param {stepstream.v1.RunInfo.$Properties=} [properties] Properties to set
             * @returns {stepstream.v1.RunInfo} RunInfo instance
             * @type {{
             *   (properties: stepstream.v1.RunInfo.$Shape): stepstream.v1.RunInfo & stepstream.v1.RunInfo.$Shape;
             *   (properties?: stepstream.v1.RunInfo.$Properties): stepstream.v1.RunInfo;
             * }}
             */
            RunInfo.create = function(properties) {
                return new RunInfo(properties);
            };

            /**
             * Encodes the specified RunInfo message. Does not implicitly {@link stepstream.v1.RunInfo.verify|verify} messages.
             * @function encode
             * @memberof stepstream.v1.RunInfo
             * @static
             * @param {stepstream.v1.RunInfo.$Properties} message RunInfo message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            RunInfo.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                    writer.uint32(/* id 1, wireType 2 =*/10).string(message.name);
                if (message.configJson != null && $Object.hasOwnProperty.call(message, "configJson") && message.configJson !== "")
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.configJson);
                if (message.tags != null && message.tags.length)
                    for (let i = 0; i < message.tags.length; ++i)
                        writer.uint32(/* id 3, wireType 2 =*/26).string(message.tags[i]);
                if (message.status != null && $Object.hasOwnProperty.call(message, "status") && message.status !== 0)
                    writer.uint32(/* id 4, wireType 0 =*/32).int32(message.status);
                if (message.startedMs != null && $Object.hasOwnProperty.call(message, "startedMs") && (typeof message.startedMs === "object" ? message.startedMs.low || message.startedMs.high : message.startedMs !== 0))
                    writer.uint32(/* id 5, wireType 0 =*/40).int64(message.startedMs);
                if (message.finishedMs != null && $Object.hasOwnProperty.call(message, "finishedMs") && (typeof message.finishedMs === "object" ? message.finishedMs.low || message.finishedMs.high : message.finishedMs !== 0))
                    writer.uint32(/* id 6, wireType 0 =*/48).int64(message.finishedMs);
                if (message.meta != null && $Object.hasOwnProperty.call(message, "meta"))
                    for (let keys = $Object.keys(message.meta), i = 0; i < keys.length; ++i)
                        writer.uint32(/* id 7, wireType 2 =*/58).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]).uint32(/* id 2, wireType 2 =*/18).string(message.meta[keys[i]]).ldelim();
                if (message.resumeStep != null && $Object.hasOwnProperty.call(message, "resumeStep"))
                    writer.uint32(/* id 8, wireType 0 =*/64).int64(message.resumeStep);
                if (message.forkOf != null && $Object.hasOwnProperty.call(message, "forkOf") && message.forkOf !== "")
                    writer.uint32(/* id 9, wireType 2 =*/74).string(message.forkOf);
                if (message.forkStep != null && $Object.hasOwnProperty.call(message, "forkStep") && (typeof message.forkStep === "object" ? message.forkStep.low || message.forkStep.high : message.forkStep !== 0))
                    writer.uint32(/* id 10, wireType 0 =*/80).int64(message.forkStep);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a RunInfo message from the specified reader or buffer.
             * @function decode
             * @memberof stepstream.v1.RunInfo
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {stepstream.v1.RunInfo & stepstream.v1.RunInfo.$Shape} RunInfo
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            RunInfo.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, key, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.stepstream.v1.RunInfo();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.name = value;
                            else
                                delete message.name;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.configJson = value;
                            else
                                delete message.configJson;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            if (!(message.tags && message.tags.length))
                                message.tags = [];
                            message.tags.push(reader.stringVerify());
                            continue;
                        }
                    case 4: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.int32())
                                message.status = value;
                            else
                                delete message.status;
                            continue;
                        }
                    case 5: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                message.startedMs = value;
                            else
                                delete message.startedMs;
                            continue;
                        }
                    case 6: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                message.finishedMs = value;
                            else
                                delete message.finishedMs;
                            continue;
                        }
                    case 7: {
                            if (wireType !== 2)
                                break;
                            if (message.meta === $util.emptyObject)
                                message.meta = {};
                            let end2 = reader.size() + reader.pos;
                            if (end2 > reader.len)
                                throw $RangeError("index out of range");
                            reader.len = end2;
                            key = "";
                            value = "";
                            while (reader.pos < end2) {
                                let tag2 = reader.tag();
                                wireType = tag2 & 7;
                                switch (tag2 >>>= 3) {
                                case 1:
                                    if (wireType !== 2)
                                        break;
                                    key = reader.stringVerify();
                                    continue;
                                case 2:
                                    if (wireType !== 2)
                                        break;
                                    value = reader.stringVerify();
                                    continue;
                                }
                                reader.skipType(wireType, _depth, tag2);
                            }
                            if (reader.pos !== end2)
                                throw $RangeError("index out of range");
                            reader.len = end;
                            if (key === "__proto__")
                                $util.makeProp(message.meta, key);
                            message.meta[key] = value;
                            continue;
                        }
                    case 8: {
                            if (wireType !== 0)
                                break;
                            message.resumeStep = reader.int64();
                            message._resumeStep = "resumeStep";
                            continue;
                        }
                    case 9: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.forkOf = value;
                            else
                                delete message.forkOf;
                            continue;
                        }
                    case 10: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                message.forkStep = value;
                            else
                                delete message.forkStep;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for RunInfo
             * @function getTypeUrl
             * @memberof stepstream.v1.RunInfo
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            RunInfo.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/stepstream.v1.RunInfo";
            };

            return RunInfo;
        })();

        /**
         * RunStatus enum.
         * @name stepstream.v1.RunStatus
         * @enum {number}
         * @property {number} RUN_STATUS_UNSPECIFIED=0 RUN_STATUS_UNSPECIFIED value
         * @property {number} RUNNING=1 RUNNING value
         * @property {number} FINISHED=2 FINISHED value
         * @property {number} FAILED=3 FAILED value
         * @property {number} CRASHED=4 CRASHED value
         */
        v1.RunStatus = (function() {
            const valuesById = $Object.create(null), values = $Object.create(valuesById);
            values[valuesById[0] = "RUN_STATUS_UNSPECIFIED"] = 0;
            values[valuesById[1] = "RUNNING"] = 1;
            values[valuesById[2] = "FINISHED"] = 2;
            values[valuesById[3] = "FAILED"] = 3;
            values[valuesById[4] = "CRASHED"] = 4;
            return values;
        })();

        return v1;
    })();

    return stepstream;
})();

export {
  $root as default
};
