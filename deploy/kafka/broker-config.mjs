// What the broker is started with: the java to run, its JVM flags, the
// server.properties and log4j2 config written on each start, a cluster id.
import { randomBytes } from 'node:crypto';
import path from 'node:path';

// Like mvn: JAVA_HOME's java when set, else the one on PATH.
export const JAVA = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';

/** A Kafka cluster/directory id: 16 random bytes, base64url, never starting with '-'. */
export function randomKafkaUuid() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function serverProperties({ host, port, controllerPort, logDirs }) {
  return `# Written by deploy/kafka/broker.mjs on each start; edits are overwritten.
process.roles=broker,controller
node.id=1
# Static single-voter quorum: the data dir survives a restart on other ports.
controller.quorum.voters=1@${host}:${controllerPort}
listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}
advertised.listeners=PLAINTEXT://${host}:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${logDirs}

# One node: every internal topic with replication factor 1.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
num.partitions=1

# Tests create their topics explicitly and want groups to start at once.
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0

# Small footprint on a 2-core machine.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216
log.segment.bytes=67108864
log.retention.hours=24
`;
}

export const LOG4J2 = `# Written by deploy/kafka/broker.mjs. Everything to stdout, which goes to broker.log.
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.controller.name = org.apache.kafka.controller
logger.controller.level = INFO
logger.network.name = kafka.network.RequestChannel$
logger.network.level = WARN
`;

export function javaArgs({ libDir, dataDir, heapMb }) {
  return [
    `-Xms${Math.min(128, heapMb)}m`,
    `-Xmx${heapMb}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${path.join(dataDir, 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${dataDir}`,
    '-cp',
    `${libDir}/*`,
  ];
}
