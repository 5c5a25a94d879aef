import * as $protobuf from "protobufjs";
import Long = require("long");

/** Namespace stepstream. */
export namespace stepstream {

    /** Namespace v1. */
    namespace v1 {

        /**
         * Properties of an IngestRequest.
         * @deprecated Use stepstream.v1.IngestRequest.$Properties instead.
         */
        interface IIngestRequest extends stepstream.v1.IngestRequest.$Properties {
        }

        /** Represents an IngestRequest. */
        class IngestRequest {

            /**
             * Constructs a new IngestRequest.
             * @param [properties] Properties to set
             */
            constructor(properties?: stepstream.v1.IngestRequest.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** IngestRequest project. */
            project: string;

            /** IngestRequest runId. */
            runId: string;

            /** IngestRequest run. */
            run?: (stepstream.v1.RunInfo.$Properties|null);

            /** IngestRequest series. */
            series: stepstream.v1.Series.$Properties[];

            /** IngestRequest clientId. */
            clientId: string;

            /** IngestRequest sequence. */
            sequence: number;

            /** IngestRequest attempt. */
            attempt: number;

            /**
             * Creates a new IngestRequest instance using the specified properties.
             * @param [properties] Properties to set
             * @returns IngestRequest instance
             */
            static create(properties: stepstream.v1.IngestRequest.$Shape): stepstream.v1.IngestRequest & stepstream.v1.IngestRequest.$Shape;
            static create(properties?: stepstream.v1.IngestRequest.$Properties): stepstream.v1.IngestRequest;

            /**
             * Encodes the specified IngestRequest message. Does not implicitly {@link stepstream.v1.IngestRequest.verify|verify} messages.
             * @param message IngestRequest message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: stepstream.v1.IngestRequest.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an IngestRequest message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {stepstream.v1.IngestRequest & stepstream.v1.IngestRequest.$Shape} IngestRequest
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): stepstream.v1.IngestRequest & stepstream.v1.IngestRequest.$Shape;

            /**
             * Gets the type url for IngestRequest
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace IngestRequest {

            /** Properties of an IngestRequest. */
            interface $Properties {

                /** IngestRequest project */
                project?: (string|null);

                /** IngestRequest runId */
                runId?: (string|null);

                /** IngestRequest run */
                run?: (stepstream.v1.RunInfo.$Properties|null);

                /** IngestRequest series */
                series?: (stepstream.v1.Series.$Properties[]|null);

                /** IngestRequest clientId */
                clientId?: (string|null);

                /** IngestRequest sequence */
                sequence?: (number|null);

                /** IngestRequest attempt */
                attempt?: (number|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of an IngestRequest. */
            type $Shape = stepstream.v1.IngestRequest.$Properties;
        }

        /**
         * Properties of a Series.
         * @deprecated Use stepstream.v1.Series.$Properties instead.
         */
        interface ISeries extends stepstream.v1.Series.$Properties {
        }

        /** Represents a Series. */
        class Series {

            /**
             * Constructs a new Series.
             * @param [properties] Properties to set
             */
            constructor(properties?: stepstream.v1.Series.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Series metric. */
            metric: string;

            /** Series rank. */
            rank: number;

            /** Series steps. */
            steps: number[];

            /** Series values. */
            values: number[];

            /** Series timeMs. */
            timeMs: number[];

            /**
             * Creates a new Series instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Series instance
             */
            static create(properties: stepstream.v1.Series.$Shape): stepstream.v1.Series & stepstream.v1.Series.$Shape;
            static create(properties?: stepstream.v1.Series.$Properties): stepstream.v1.Series;

            /**
             * Encodes the specified Series message. Does not implicitly {@link stepstream.v1.Series.verify|verify} messages.
             * @param message Series message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: stepstream.v1.Series.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Series message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {stepstream.v1.Series & stepstream.v1.Series.$Shape} Series
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): stepstream.v1.Series & stepstream.v1.Series.$Shape;

            /**
             * Gets the type url for Series
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace Series {

            /** Properties of a Series. */
            interface $Properties {

                /** Series metric */
                metric?: (string|null);

                /** Series rank */
                rank?: (number|null);

                /** Series steps */
                steps?: (number[]|null);

                /** Series values */
                values?: (number[]|null);

                /** Series timeMs */
                timeMs?: (number[]|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Series. */
            type $Shape = stepstream.v1.Series.$Properties;
        }

        /**
         * Properties of a RunInfo.
         * @deprecated Use stepstream.v1.RunInfo.$Properties instead.
         */
        interface IRunInfo extends stepstream.v1.RunInfo.$Properties {
        }

        /** Represents a RunInfo. */
        class RunInfo {

            /**
             * Constructs a new RunInfo.
             * @param [properties] Properties to set
             */
            constructor(properties?: stepstream.v1.RunInfo.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** RunInfo name. */
            name: string;

            /** RunInfo configJson. */
            configJson: string;

            /** RunInfo tags. */
            tags: string[];

            /** RunInfo status. */
            status: stepstream.v1.RunStatus;

            /** RunInfo startedMs. */
            startedMs: number;

            /** RunInfo finishedMs. */
            finishedMs: number;

            /** RunInfo meta. */
            meta: { [k: string]: string };

            /** RunInfo resumeStep. */
            resumeStep?: (number|null);

            /** RunInfo forkOf. */
            forkOf: string;

            /** RunInfo forkStep. */
            forkStep: number;

            /**
             * Creates a new RunInfo instance using the specified properties.
             * @param [properties] Properties to set
             * @returns RunInfo instance
             */
            static create(properties: stepstream.v1.RunInfo.$Shape): stepstream.v1.RunInfo & stepstream.v1.RunInfo.$Shape;
            static create(properties?: stepstream.v1.RunInfo.$Properties): stepstream.v1.RunInfo;

            /**
             * Encodes the specified RunInfo message. Does not implicitly {@link stepstream.v1.RunInfo.verify|verify} messages.
             * @param message RunInfo message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: stepstream.v1.RunInfo.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a RunInfo message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {stepstream.v1.RunInfo & stepstream.v1.RunInfo.$Shape} RunInfo
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): stepstream.v1.RunInfo & stepstream.v1.RunInfo.$Shape;

            /**
             * Gets the type url for RunInfo
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace RunInfo {

            /** Properties of a RunInfo. */
            interface $Properties {

                /** RunInfo name */
                name?: (string|null);

                /** RunInfo configJson */
                configJson?: (string|null);

                /** RunInfo tags */
                tags?: (string[]|null);

                /** RunInfo status */
                status?: (stepstream.v1.RunStatus|null);

                /** RunInfo startedMs */
                startedMs?: (number|null);

                /** RunInfo finishedMs */
                finishedMs?: (number|null);

                /** RunInfo meta */
                meta?: ({ [k: string]: string }|null);

                /** RunInfo resumeStep */
                resumeStep?: (number|null);

                /** RunInfo forkOf */
                forkOf?: (string|null);

                /** RunInfo forkStep */
                forkStep?: (number|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a RunInfo. */
            type $Shape = stepstream.v1.RunInfo.$Properties;
        }

        /** RunStatus enum. */
        enum RunStatus {

            /** RUN_STATUS_UNSPECIFIED value */
            RUN_STATUS_UNSPECIFIED = 0,

            /** RUNNING value */
            RUNNING = 1,

            /** FINISHED value */
            FINISHED = 2,

            /** FAILED value */
            FAILED = 3,

            /** CRASHED value */
            CRASHED = 4
        }
    }
}
