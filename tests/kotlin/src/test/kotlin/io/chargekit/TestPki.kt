package io.chargekit

import java.io.ByteArrayOutputStream
import java.math.BigInteger
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.SecureRandom
import java.security.Signature
import java.security.spec.ECGenParameterSpec
import java.time.Duration
import java.time.Instant
import java.time.ZoneOffset
import java.time.format.DateTimeFormatter
import java.util.Base64

/**
 * A Plug & Charge PKI made on the fly with the JDK alone (no keytool, no files): a mobility
 * operator root, a sub-CA and a contract certificate whose CN is an EMAID, all ECDSA P-256 with
 * SHA-256 as ISO 15118-2 prescribes. The JDK has no public certificate builder, so the X.509 v3
 * DER is written here (RFC 5280 §4.1) and signed with `SHA256withECDSA`.
 */
class TestPki(rootName: String = "ChargeKit Test MO Root") {
    val root = Authority(rootName, ecKey(), issuer = null)

    /** A sub-CA issued by [root]. */
    fun subCa(name: String = "ChargeKit Test MO Sub-CA"): Authority = Authority(name, ecKey(), issuer = root)

    class Authority(val name: String, internal val key: KeyPair, issuer: Authority?) {
        /** The certificate's DER (self-signed for a root). */
        val der: ByteArray = certificate(
            subject = name,
            subjectKey = key,
            issuerName = issuer?.name ?: name,
            issuerKey = issuer?.key ?: key,
            ca = true,
        )
        val pem: String get() = pem(der)

        /** A contract certificate for [emaid] issued by this authority, valid from yesterday for [validFor]. */
        fun issueContract(emaid: String, validFor: Duration = Duration.ofDays(365)): ByteArray =
            certificate(subject = emaid, subjectKey = ecKey(), issuerName = name, issuerKey = key, ca = false, validFor = validFor)
    }

    companion object {
        fun pem(der: ByteArray): String =
            "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".toByteArray()).encodeToString(der) + "\n-----END CERTIFICATE-----\n"

        /** A fresh P-256 public key as DER SubjectPublicKeyInfo in hex, the way a meter's label gives it. */
        fun p256PublicKeyHex(): String = ecKey().public.encoded.joinToString("") { "%02x".format(it) }

        private fun ecKey(): KeyPair =
            KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()

        private val ECDSA_WITH_SHA256 = sequence(oid("1.2.840.10045.4.3.2"))

        private fun certificate(
            subject: String,
            subjectKey: KeyPair,
            issuerName: String,
            issuerKey: KeyPair,
            ca: Boolean,
            validFor: Duration = Duration.ofDays(3650),
        ): ByteArray {
            val now = Instant.now()
            val extensions = if (ca) {
                // basicConstraints, critical: cA TRUE.
                listOf(tagged(0xA3, sequence(sequence(oid("2.5.29.19"), tlv(0x01, byteArrayOf(-1)), tlv(0x04, sequence(tlv(0x01, byteArrayOf(-1))))))))
            } else {
                emptyList()
            }
            val tbs = sequence(
                tagged(0xA0, integer(BigInteger.valueOf(2))), // v3
                integer(BigInteger(63, SecureRandom()).add(BigInteger.ONE)),
                ECDSA_WITH_SHA256,
                name(issuerName),
                sequence(time(now.minus(Duration.ofDays(1))), time(now.plus(validFor))),
                name(subject),
                subjectKey.public.encoded, // SubjectPublicKeyInfo, id-ecPublicKey on prime256v1
                *extensions.toTypedArray(),
            )
            val signature = Signature.getInstance("SHA256withECDSA").run {
                initSign(issuerKey.private)
                update(tbs)
                sign() // DER Ecdsa-Sig-Value
            }
            return sequence(tbs, ECDSA_WITH_SHA256, tlv(0x03, byteArrayOf(0) + signature))
        }

        private fun name(commonName: String): ByteArray =
            sequence(tlv(0x31, sequence(oid("2.5.4.3"), tlv(0x0C, commonName.toByteArray()))))

        private fun time(at: Instant): ByteArray {
            val utc = at.atOffset(ZoneOffset.UTC)
            return if (utc.year < 2050) {
                tlv(0x17, DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").format(utc).toByteArray())
            } else {
                tlv(0x18, DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").format(utc).toByteArray())
            }
        }

        private fun integer(value: BigInteger) = tlv(0x02, value.toByteArray())

        private fun oid(dotted: String): ByteArray {
            val arcs = dotted.split('.').map { it.toLong() }
            val out = ByteArrayOutputStream()
            out.write((arcs[0] * 40 + arcs[1]).toInt())
            for (arc in arcs.drop(2)) {
                val groups = generateSequence(arc) { (it shr 7).takeIf { rest -> rest > 0 } }.map { (it and 0x7F).toInt() }.toList().reversed()
                groups.forEachIndexed { i, group -> out.write(if (i < groups.size - 1) group or 0x80 else group) }
            }
            return tlv(0x06, out.toByteArray())
        }

        private fun sequence(vararg parts: ByteArray) = tlv(0x30, parts.fold(ByteArray(0)) { acc, part -> acc + part })

        private fun tagged(tag: Int, content: ByteArray) = tlv(tag, content)

        private fun tlv(tag: Int, content: ByteArray): ByteArray {
            val length = content.size
            val header = when {
                length < 0x80 -> byteArrayOf(length.toByte())
                length < 0x100 -> byteArrayOf(0x81.toByte(), length.toByte())
                else -> byteArrayOf(0x82.toByte(), (length shr 8).toByte(), length.toByte())
            }
            return byteArrayOf(tag.toByte()) + header + content
        }
    }
}
